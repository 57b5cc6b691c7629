#!/usr/bin/env bash
# The README's test command: installs what the tests need (pnpm, packages,
# backend servers from Debian packages), then type-checks, lints, runs
# every test, and checks the packed packages (scripts/pack-check.sh). Servers
# are started by the tests themselves, on loopback.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "› checking the generated driver lists" >&2
node scripts/drivers.mjs --check
node scripts/package-meta.mjs --check
bash scripts/bootstrap.sh
bash scripts/setup-servers.sh
echo "› type-checking" >&2
pnpm --silent typecheck
# Not fatal at once, like the tests: a broken example is reported with everything else.
status=0
# Named again at the very end: a CI that keeps only the tail of the log still shows what failed.
failed=()
echo "› checking the README examples (scripts/readme-examples.mjs)" >&2
node scripts/readme-examples.mjs || { status=1; failed+=("README examples"); }
echo "› building the API reference (fails on an undocumented export)" >&2
pnpm --silent run docs
echo "› linting" >&2
pnpm --silent lint
echo "› testing" >&2
pnpm --silent test --reporter=default --reporter=json --outputFile.json=.vitest-results.json || { status=1; failed+=("tests"); }
# A plain closing line that any CI can read, whatever the runner prints above it.
summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(".vitest-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  for (const file of r.testResults) {
    const where = file.name.replace(process.cwd() + "/", "");
    if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"))
      console.log(`  failed: ${where}: ${(file.message || "the file did not run").split("\n")[0]}`);
    for (const t of file.assertionResults) if (t.status === "failed") console.log(`  failed: ${where} > ${t.fullName}`);
  }
' 2>&1 || true)
echo "$summary"
echo "› the server-free tests on node 22 and 24 (scripts/other-nodes.sh)" >&2
bash scripts/other-nodes.sh || { status=1; failed+=("node 22/24"); }
# The packages as a user installs them: packed, linted, installed with npm
# outside the workspace, the README examples type-checked and run.
echo "› checking the packed packages" >&2
bash scripts/pack-check.sh || { status=1; failed+=("pack-check"); }
echo "› main suite: $summary" >&2
if ((status != 0)); then echo "✗ failed: ${failed[*]}" >&2; else echo "✓ all checks passed" >&2; fi
exit "$status"
