#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, the Python environment, then pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install_system_packages.sh" test
extras=test,crf  # the dense CRF (pydensecrf2) is tested too
source "$here/bootstrap.sh"
cd "$repo"
# Lint first (seconds): ruff's rules and formatting, and the import contracts (pyproject.toml).
ruff check .
ruff format --check .
lint-imports
exec python -m pytest "$@"
