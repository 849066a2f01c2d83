#!/usr/bin/env bash
# Create or refresh the project's virtualenv at .venv (Python packages from PyPI, pinned by
# constraints.txt). Cheap when nothing changed: a stamp of pyproject.toml + constraints.txt is kept.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}
stamp=.venv/.kfgen-setup
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[setup] preparing .venv (pip install -e '.[test]')" >&2
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]' >&2
echo "$want" > "$stamp"
