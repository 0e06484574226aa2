#!/usr/bin/env bash
# Quick start, step 2: set up .venv with the test extras and run the test suite.
# Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/env.sh" "test,models"
cd "$ROOT"
python -m pytest "$@"
