#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, the Python environment, then pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install_system_packages.sh" test
extras=test,crf  # the dense CRF (pydensecrf2) is tested too
source "$here/bootstrap.sh"
cd "$repo"
# Lint first (seconds): ruff's rules and the import contracts (pyproject.toml). The formatter checks the
# files formatted so far; the rest are formatted once the branches open when it came have merged.
formatted=(edge_deeplab/tables.py edge_deeplab/train/prepare.py edge_deeplab/train/spec.py
           tests/test_api_docs.py tests/test_preset_verbs.py tests/test_tables.py)
ruff check .
ruff format --check "${formatted[@]}"
lint-imports
exec python -m pytest "$@"
