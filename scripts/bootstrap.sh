# Sourced by scripts/run.sh and scripts/test.sh: make sure .venv holds edge-deeplab and its
# dependencies (a fresh machine gets them from PyPI; later runs find them in place).
# The caller may set extras (default test); scripts/test.sh adds crf, which needs a C++ compiler.
set -euo pipefail
extras="${extras:-test}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# One stamp per set of extras: a venv set up by run.sh still gets test.sh's extras the first time.
stamp="$venv/.edge-deeplab-installed-${extras//,/-}"
# Reinstall only when pyproject.toml changed since the last install. pip's own chatter goes to a log
# (the main job's output is read by people); its tail is shown when the install fails.
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
    echo "installing edge-deeplab and its dependencies into $venv (about a minute; log: $venv/pip-install.log)" >&2
    if ! { "$venv/bin/python" -m pip install --quiet --upgrade pip && \
           "$venv/bin/python" -m pip install --quiet -e "$repo[$extras]"; } >"$venv/pip-install.log" 2>&1; then
        tail -n 20 "$venv/pip-install.log" >&2
        echo "error: pip could not install edge-deeplab (full log: $venv/pip-install.log)" >&2
        exit 1
    fi
    touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
