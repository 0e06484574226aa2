"""Generate a realistic corpus of N articles for build benchmarks, seeded and reproducible.

Article texts recombine paragraphs of real French newspaper text
(``../shared/external/raw_fr_hist_news/fr_hist_news_raw.jsonl``) into files in the seed's
raw format (a ``date`` header, paragraphs separated by blank lines, a short heading), each
with a gold annotation file of about 20 mentions, their entities and a few stances, whose
offsets are computed on the normalised text exactly as the build computes it.

Run: .venv/bin/python benchmarks/generate_corpus.py OUT_DIR --articles 20000 [--seed 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from pathlib import Path

from chronique.store.annotations import dumps_annotation, quote
from chronique.text.normalize import normalize_text
from chronique.text.segment import tokenize

PROJECT = Path(__file__).resolve().parents[1]
SOURCE = PROJECT.parent / "shared" / "external" / "raw_fr_hist_news" / "fr_hist_news_raw.jsonl"
TYPES = ("PER", "ORG", "GPE", "LOC", "NORP", "MISC", "FAC", "EVENT")  # no DATE: a date entity is named by its value
HEADINGS = ("Dernières nouvelles", "La situation politique", "Chronique locale", "À l'étranger", "Faits divers")
_CAPITALISED = re.compile(r"[A-ZÉÈÀ][a-zéèêàâîôûç]{2,}(?:[ -][A-ZÉÈ][a-zéèêàâîôûç]{2,})?")


def paragraphs_of(source: Path) -> list[str]:
    """Paragraph-sized pieces (about 60 words) of every text in the source file, whitespace tidied."""
    pieces = []
    for line in source.read_text(encoding="utf-8").splitlines():
        words = json.loads(line)["text"].split()
        for start in range(0, len(words) - 30, 60):
            pieces.append(" ".join(words[start : start + 60]).rstrip(",;:") + ".")
    return pieces


def article_body(rng: random.Random, pieces: list[str]) -> str:
    body = [rng.choice(pieces) for _ in range(rng.randint(6, 10))]
    body.insert(rng.randint(2, len(body) - 1), rng.choice(HEADINGS))
    return "\n\n".join(body)


def mentions_of(rng: random.Random, text: str, wanted: int) -> list[tuple[int, int, str]]:
    """Non-overlapping capitalised spans on token boundaries, typed at random."""
    candidates = [(m.start(), m.end()) for m in _CAPITALISED.finditer(text)]
    edges = {e for t in tokenize(text) for e in (t.start, t.end)}
    candidates = [c for c in candidates if c[0] in edges and c[1] in edges]
    chosen = sorted(rng.sample(candidates, min(wanted, len(candidates))))
    spans, last_end = [], -1
    for start, end in chosen:
        if start >= last_end:
            spans.append((start, end, rng.choice(TYPES)))
            last_end = end
    return spans


def annotation(doc_id: str, text: str, spans: list[tuple[int, int, str]], rng: random.Random) -> dict:
    mentions, entities, entity_of = [], [], {}
    for number, (start, end, kind) in enumerate(spans, start=1):
        key = (text[start:end], kind)
        if key not in entity_of:
            entity_of[key] = f"e{len(entity_of) + 1}"
            entities.append({"id": entity_of[key], "name": key[0], "type": kind, "qid": None})
        q = quote(text, start, end)
        mentions.append({"id": f"m{number}", "start": start, "end": end, "exact": q.exact, "prefix": q.prefix,
                         "suffix": q.suffix, "type": kind, "entity_id": entity_of[key], "parent_id": None, "metonymic": False})
    stances = []
    holders = [m for m in mentions if m["type"] in ("PER", "ORG")]
    for number in range(1, min(3, len(holders)) + 1):
        holder = rng.choice(holders)
        target = rng.choice(mentions)
        if target["entity_id"] == holder["entity_id"]:
            continue
        q = quote(text, target["start"], target["end"])
        stances.append({"id": f"s{number}", "holder": holder["entity_id"], "target": target["entity_id"],
                        "target_kind": "entity", "polarity": rng.choice(("FAVOR", "AGAINST", "NEUTRAL")),
                        "evidence": [{"start": q.start, "end": q.end, "exact": q.exact, "prefix": q.prefix, "suffix": q.suffix}],
                        "scope": "sentence", "reported": bool(rng.getrandbits(1))})
    return {"schema_version": "1.0", "doc_id": doc_id, "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "provenance": {"status": "gold", "annotators": ["bench"], "guidelines_version": "1.0", "tool": "generated",
                           "date": "2026-11-27"},
            "mentions": mentions, "entities": entities, "stances": stances}


def generate(out: Path, articles: int, seed: int) -> None:
    rng = random.Random(seed)
    pieces = paragraphs_of(SOURCE)
    (out / "raw").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(exist_ok=True)
    sources = ["# doc_id\tlicense\torigin\tsource\turl\tbeat\tdomain\tgenre"]
    for number in range(articles):
        doc_id = hashlib.sha256(f"{seed}-{number}".encode()).hexdigest()[:16]
        body = article_body(rng, pieces)
        date = f"{rng.randint(1880, 1940)}-{rng.randint(1, 12):02d}"
        (out / "raw" / f"{number:06d}_{doc_id}.txt").write_text(f"date {date}\n\n{body}\n", encoding="utf-8")
        text = normalize_text(body)
        data = annotation(doc_id, text, mentions_of(rng, text, 20), rng)
        (out / "annotations" / f"{doc_id}.json").write_text(dumps_annotation(data), encoding="utf-8")
        # recombined paragraphs of published newspaper texts (the CC0 part of raw_fr_hist_news)
        sources.append(f"{doc_id}\tCC0-1.0\tpublished\tgenerated benchmark corpus\t\t\t\t")
        if number % 5000 == 4999:
            print(f"generated {number + 1:,} articles", file=sys.stderr)
    (out / "annotations" / "sources.tsv").write_text("\n".join(sources) + "\n", encoding="utf-8")
    shutil.copyfile(PROJECT / "CITATION.cff", out / "CITATION.cff")  # a release states its citation from it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is absent: the generator needs ../shared/external beside the checkout")
    generate(args.out, args.articles, args.seed)


if __name__ == "__main__":
    main()
