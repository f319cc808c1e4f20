#!/usr/bin/env bash
# The main job on the embedded default. Extra arguments go to the command.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/bootstrap.sh"
cd "$repo"
exec edge-deeplab model summary "$@"
