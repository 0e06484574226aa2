# Sourced by build.sh and test.sh: create .venv once, install the package with the
# given extras, and put the venv first on PATH. Re-installs only when pyproject.toml changes.
# Each step says what it does on stderr; pip shows its progress when stderr is a terminal
# and stays quiet otherwise (CI logs, pipes), so that stdout is left to the command itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CHRONIQUE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"

env_step() { echo "env.sh: $*" >&2; }
if [ -t 2 ]; then PIP_OUTPUT=(); else PIP_OUTPUT=(--quiet); fi
env_pip_install() { "$VENV/bin/python" -m pip install ${PIP_OUTPUT[@]+"${PIP_OUTPUT[@]}"} "$@" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
    env_step "creating the virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
    env_step "upgrading pip in $VENV"
    env_pip_install --upgrade pip
fi
STAMP="$VENV/.chronique-installed-$EXTRAS"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
    env_step "installing chronique${EXTRAS:+[$EXTRAS]} into $VENV (the first time, this may take a few minutes)"
    env_pip_install --editable "$ROOT${EXTRAS:+[$EXTRAS]}"
    touch "$STAMP"
    env_step "installed chronique${EXTRAS:+[$EXTRAS]}"
fi
export PATH="$VENV/bin:$PATH"
export HF_HUB_OFFLINE=1
