#!/usr/bin/env bash
# The main job: `edge-deeplab pipeline` on the embedded synthetic portraits (or on your data, e.g.
# bash scripts/run.sh --data ../shared/data/ccp-person ...). Extra arguments go to the command.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The software Vulkan driver for the dynamic GPU-delegate gate, installed as scripts/test.sh does;
# where that cannot happen (not root, not Debian) the job still runs and its verdict names the package.
bash "$here/install_system_packages.sh" gpu --best-effort
source "$here/bootstrap.sh"
cd "$repo"
exec edge-deeplab pipeline "$@"
