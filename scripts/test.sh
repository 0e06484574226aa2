#!/usr/bin/env bash
# Quick start, step 2: set up .venv with the test extras and run the test suite.
# Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/env.sh" "test,models,ray"
# cffconvert pins jsonschema<4, which the package cannot use: it gets a venv of its own.
if [ ! -x "$ROOT/.venv-cff/bin/cffconvert" ]; then
    echo "creating $ROOT/.venv-cff for cffconvert" >&2
    "$PYTHON" -m venv "$ROOT/.venv-cff"
    "$ROOT/.venv-cff/bin/python" -m pip install --quiet "cffconvert>=2.0"
fi
export CFFCONVERT="$ROOT/.venv-cff/bin/cffconvert"
cd "$ROOT"
python -m pytest "$@"
