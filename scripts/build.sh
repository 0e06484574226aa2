#!/usr/bin/env bash
# Quick start, step 1: set up .venv and build releases/<version>/ from raw/ and annotations/.
# Extra arguments go to `chronique build` (try --help).
set -euo pipefail
source "$(dirname "$0")/env.sh" ""
cd "$ROOT"
chronique build "$@"
