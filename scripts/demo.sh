#!/usr/bin/env bash
# The README's main job: the SDK's demo on the embedded backend (no server needed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec pnpm --silent demo
