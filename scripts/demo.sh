#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run the whole loop on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.driftloop/venv/bin:$PATH"
exec node bin/driftloop.mjs demo "$@"
