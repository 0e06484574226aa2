"""The plain pipeline a researcher would write, as the build benchmark's point of comparison.

It reads the same raw and annotation files, builds a ``datasets.Dataset`` with
``from_generator``, ``.map``s spaCy's blank French tokenizer with a sentencizer over each
whole document, aligns the mentions with ``doc.char_span`` into IOB tags, and writes the
documents and the NER table with ``to_parquet``. No validation, no cache, one process.

Run: .venv/bin/python benchmarks/naive_pipeline.py CORPUS OUT  (prints documents and tokens)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import datasets
import spacy
from spacy.util import filter_spans


def raw_documents(corpus: Path):
    for path in sorted((corpus / "raw").glob("*.txt")):
        header, _, body = path.read_text(encoding="utf-8").partition("\n")
        doc_id = path.stem.split("_", 1)[1]
        annotation = json.loads((corpus / "annotations" / f"{doc_id}.json").read_text(encoding="utf-8"))
        mentions = [{"start": m["start"], "end": m["end"], "type": m["type"]} for m in annotation["mentions"]]
        yield {"doc_id": doc_id, "date": header.split()[1], "text": body.strip(), "mentions": mentions}


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    nlp = spacy.blank("fr")
    nlp.add_pipe("sentencizer")

    def tag(batch):
        rows = {"doc_id": [], "sentence_index": [], "tokens": [], "ner_tags": []}
        for doc_id, text, mentions in zip(batch["doc_id"], batch["text"], batch["mentions"]):
            doc = nlp(text)
            spans = [doc.char_span(m["start"], m["end"], label=m["type"], alignment_mode="expand") for m in mentions]
            doc.ents = filter_spans([s for s in spans if s is not None])
            for index, sentence in enumerate(doc.sents):
                rows["doc_id"].append(doc_id)
                rows["sentence_index"].append(index)
                rows["tokens"].append([t.text for t in sentence])
                rows["ner_tags"].append([f"{t.ent_iob_}-{t.ent_type_}" if t.ent_type_ else "O" for t in sentence])
        return rows

    documents = datasets.Dataset.from_generator(raw_documents, gen_kwargs={"corpus": corpus})
    ner = documents.map(tag, batched=True, batch_size=64, remove_columns=documents.column_names)
    documents.to_parquet(str(out / "documents.parquet"))
    ner.to_parquet(str(out / "ner.parquet"))
    print(json.dumps({"documents": len(documents), "tokens": sum(len(t) for t in ner["tokens"])}))


if __name__ == "__main__":
    main()
