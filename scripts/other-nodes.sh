#!/usr/bin/env bash
# The server-free part of the suite (core, the test kit with the memory
# driver's conformance run, the CLI and the file driver) on the other Node
# majors users run today, from npm's `node` package. The packed packages are
# run on them too, by pack-check.sh; this runs the tests themselves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NODES="${OTHER_NODES-22 24}"
cache="${TOOZ_NODE_CACHE:-$HOME/.cache/tooz-nodes}"
status=0
for major in $NODES; do
  prefix="$cache/node$major"
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$major" >&2
  fi
  node_bin="$prefix/node_modules/.bin/node"
  echo "› the server-free tests on node $major ($("$node_bin" --version))" >&2
  # The file driver's addon is N-API: the one built for this machine's Node loads on every major.
  "$node_bin" node_modules/vitest/vitest.mjs run --project core --project testing --project cli \
    --project driver-file || status=1
done
exit "$status"
