# Sourced by scripts/run.sh and scripts/test.sh: make sure .venv holds edge-deeplab and its
# dependencies (a fresh machine gets them from PyPI; later runs find them in place).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.edge-deeplab-installed"
# Reinstall only when pyproject.toml changed since the last install.
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "$repo[test]"
    touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
