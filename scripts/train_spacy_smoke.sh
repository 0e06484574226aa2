#!/usr/bin/env bash
# Smoke test of the spaCy DocBin export: can `spacy train` learn from it at all?
#
# Usage: bash scripts/train_spacy_smoke.sh [OUT_DIR]
#   OUT_DIR (default: a new temporary folder) receives releases/ (the seed built there, so the
#   committed releases/ are untouched), train.spacy and dev.spacy (both the seed: this checks
#   the format, not a model), config.cfg (a blank French `ner` pipeline from `spacy init
#   config`) and model/model-last after 5 training steps.
# PYTHON (default: .venv/bin/python) must have spacy installed. Nothing touches the network.
# Exit code: 0 when training finished and model/model-last exists, non-zero otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="${1:-$(mktemp -d)}"
PYTHON="${PYTHON:-.venv/bin/python}"
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"

"$PYTHON" - "$OUT" <<'EOF'
import sys
from pathlib import Path

from datasets import load_dataset

from chronique.interop.spacy_docbin import export_docbin
from chronique.pipeline import build

out = Path(sys.argv[1])
result = build(Path("."), releases=out / "releases", update_registry=False)
rows = list(load_dataset(str(result.path), "documents", split="train", cache_dir=str(out / "hf-cache")))
for name in ("train", "dev"):
    export_docbin(rows, out / f"{name}.spacy")
EOF

"$PYTHON" -m spacy init config "$OUT/config.cfg" --lang fr --pipeline ner --optimize efficiency --force
"$PYTHON" -m spacy train "$OUT/config.cfg" --paths.train "$OUT/train.spacy" --paths.dev "$OUT/dev.spacy" \
    --training.max_epochs 1 --training.max_steps 5 --output "$OUT/model"
test -d "$OUT/model/model-last"
echo "spaCy trained on the DocBin export: $OUT/model/model-last"
