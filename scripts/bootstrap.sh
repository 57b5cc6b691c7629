#!/usr/bin/env bash
# Installs pnpm (if missing) and the workspace's packages. Sourced by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "› installing pnpm $PNPM_VERSION" >&2
  npm install --global --silent --no-fund --no-audit "pnpm@$PNPM_VERSION" >&2
fi
echo "› installing workspace packages" >&2
pnpm install --frozen-lockfile --reporter=silent >&2
