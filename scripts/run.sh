#!/usr/bin/env bash
# The main job: `edge-deeplab pipeline` on the embedded synthetic portraits (or on your data, e.g.
# bash scripts/run.sh --data ../shared/data/ccp-person ...). Extra arguments go to the command.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/bootstrap.sh"
cd "$repo"
exec edge-deeplab pipeline "$@"
