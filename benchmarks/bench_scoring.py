"""How long scoring takes at 100 000 sentences, against seqeval on the same input.

Run: .venv/bin/python benchmarks/bench_scoring.py [--sentences N] [--seed S]
Prints wall times and the ratio (ours / seqeval); lower than 1 means faster than seqeval.
"""

from __future__ import annotations

import argparse
import random
import time

from seqeval.metrics import classification_report

from chronique.evaluation.metrics import decode_tags, score_documents

TYPES = ("PER", "LOC", "ORG", "MISC")


def tagged_sentence(rng: random.Random, length: int) -> list[str]:
    """A sentence with entities of one to three tokens, about one token in six inside an entity."""
    tags, position = [], 0
    while position < length:
        if rng.random() < 0.08:
            kind, size = rng.choice(TYPES), rng.randint(1, 3)
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (size - 1)
            position += size
        else:
            tags.append("O")
            position += 1
    return tags[:length]


def perturbed(rng: random.Random, tags: list[str]) -> list[str]:
    """A system's output: most tags kept, some replaced."""
    choices = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]
    return [tag if rng.random() > 0.05 else rng.choice(choices) for tag in tags]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    gold = [tagged_sentence(rng, rng.randint(8, 40)) for _ in range(args.sentences)]
    pred = [perturbed(rng, sentence) for sentence in gold]
    tokens = sum(map(len, gold))

    start = time.perf_counter()
    documents = [[(decode_tags(g), decode_tags(p)) for g, p in zip(gold[i:i + 20], pred[i:i + 20])]
                 for i in range(0, len(gold), 20)]
    ours = score_documents(documents)
    ours_seconds = time.perf_counter() - start

    start = time.perf_counter()
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    seqeval_seconds = time.perf_counter() - start

    assert abs(ours.strict.micro.f1 - report["micro avg"]["f1-score"]) < 1e-9, "the two scorers disagree"
    print(f"sentences {len(gold):,}  tokens {tokens:,}")
    print(f"chronique  {ours_seconds:7.2f} s  (strict and fuzzy, micro, per type, type- and document-macro)")
    print(f"seqeval    {seqeval_seconds:7.2f} s  (classification_report, default mode)")
    print(f"ratio chronique/seqeval {ours_seconds / seqeval_seconds:.2f}")
    print(f"strict micro F1 {ours.strict.micro.f1:.4f} (both)")


if __name__ == "__main__":
    main()
