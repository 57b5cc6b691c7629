#!/usr/bin/env bash
# The README's test command: installs what the tests need (pnpm, packages,
# backend servers from Debian packages), then type-checks, lints and runs
# every test. Servers are started by the tests themselves, on loopback.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
bash scripts/setup-servers.sh
echo "› type-checking" >&2
pnpm --silent typecheck
echo "› linting" >&2
pnpm --silent lint
echo "› testing" >&2
pnpm --silent test
