#!/usr/bin/env bash
# Checks the packages as a user gets them: packs every packages/* whose
# package.json is not private with `pnpm pack` (its prepack builds it), checks
# each tarball's package.json (no `development` condition, no `workspace:`
# range, every export present, LICENSE), runs publint and
# @arethetypeswrong/cli on it, installs all the tarballs with plain npm into a
# scratch project under /tmp, type-checks scripts/pack-check/app.ts (the
# README examples) against them, and runs it against memory:// and file:// on
# this Node and on each major in PACK_CHECK_NODES (npm's `node` package;
# empty to skip). Without vitest installed, @tooz/testing's main entry and
# vitest-free subpaths must load; the file driver must run on its prebuilt
# addon, and without it fail saying what to run, which must work from the
# scratch project. PACK_CHECK_KEEP=1 keeps the scratch directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BIN="$ROOT/node_modules/.bin"
NODES="${PACK_CHECK_NODES-22 24}"
started=$SECONDS

work="$(mktemp -d /tmp/tooz-pack-check.XXXXXX)"
if [ -z "${PACK_CHECK_KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "› pack-check: keeping $work" >&2; fi
mkdir -p "$work/tarballs" "$work/logs" "$work/app"

# PACK_CHECK_PACKAGES="packages/core packages/testing ..." narrows it (default: every publishable one).
mapfile -t dirs < <(PACKAGES="${PACK_CHECK_PACKAGES:-}" node -e '
  const { readdirSync, readFileSync, existsSync } = require("node:fs");
  const only = (process.env.PACKAGES ?? "").split(/\s+/).filter(Boolean).map((d) => d.replace(/\/$/, ""));
  for (const dir of readdirSync("packages").sort()) {
    const path = `packages/${dir}/package.json`;
    if (only.length && !only.includes(`packages/${dir}`)) continue;
    if (existsSync(path) && !JSON.parse(readFileSync(path, "utf8")).private) console.log(`packages/${dir}`);
  }')

failed=()
fail() {
  failed+=("$1")
  echo "✗ $1" >&2
}

cross_arm64="$(command -v aarch64-linux-gnu-gcc || true)"
[ -n "$cross_arm64" ] || echo "› pack-check: no aarch64-linux-gnu-gcc: no linux-arm64 prebuilds (scripts/setup-servers.sh installs it)" >&2
echo "› pack-check: packing ${#dirs[@]} packages" >&2
tarballs=()
for dir in "${dirs[@]}"; do
  log="$work/logs/pack-${dir#packages/}.log"
  if ! (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >"$log" 2>&1); then
    cat "$log" >&2
    fail "$dir: pnpm pack"
    continue
  fi
  tarball="$(grep -E '\.tgz$' "$log" | tail -n 1)"
  tarballs+=("$tarball")

  # The packed manifest, as the registry would get it.
  if ! tar -xzf "$tarball" -O package/package.json >"$work/manifest.json" ||
    ! tar -tzf "$tarball" >"$work/contents.txt" ||
    ! CROSS_ARM64="$cross_arm64" node -e '
      const { readFileSync, existsSync } = require("node:fs");
      const pkg = JSON.parse(readFileSync(process.argv[1], "utf8"));
      const files = new Set(readFileSync(process.argv[2], "utf8").split("\n").map((f) => f.replace(/^package\//, "")));
      const problems = [];
      const walk = (value, path) => {
        if (typeof value === "string") {
          if (path.length && !value.includes("*") && !files.has(value.replace(/^\.\//, ""))) problems.push(`${path.join(".")} -> ${value} is not in the tarball`);
        } else if (value && typeof value === "object") {
          for (const [key, inner] of Object.entries(value)) {
            if (key === "development") problems.push(`${[...path, key].join(".")}: the development condition is published`);
            walk(inner, [...path, key]);
          }
        }
      };
      walk({ exports: pkg.exports, main: pkg.main, types: pkg.types, bin: pkg.bin }, []);
      for (const field of ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"]) {
        for (const [name, range] of Object.entries(pkg[field] ?? {})) {
          if (String(range).startsWith("workspace:")) problems.push(`${field}.${name}: ${range}`);
        }
      }
      if (pkg.dependencies?.["@tooz/core"]) problems.push("@tooz/core is a dependency (must be a peer)");
      if (!files.has("LICENSE")) problems.push("no LICENSE");
      if (![...files].some((f) => f.startsWith("dist/"))) problems.push("no dist");
      if (existsSync(`${process.argv[3]}/binding.gyp`)) {
        for (const need of ["binding.gyp", "build-native.mjs"]) if (!files.has(need)) problems.push(`no ${need}`);
        if (/\.\.\/\.\.\/scripts/.test(pkg.scripts?.install ?? "") && !/pnpm-workspace/.test(pkg.scripts.install)) problems.push("install reaches into ../../scripts");
        // Prebuilt addons: linux-x64 always, linux-arm64 wherever the cross compiler is (scripts/setup-servers.sh installs it).
        if ((pkg.files ?? []).includes("prebuilds")) {
          const target = /"target_name"\s*:\s*"([^"]+)"/.exec(readFileSync(`${process.argv[3]}/binding.gyp`, "utf8"))?.[1];
          const arches = ["x64", ...(process.env.CROSS_ARM64 ? ["arm64"] : [])];
          for (const arch of arches) if (!files.has(`prebuilds/linux-${arch}/${target}.node`)) problems.push(`no prebuilds/linux-${arch}/${target}.node`);
        }
      }
      if (problems.length) {
        console.error(problems.map((p) => `  ${p}`).join("\n"));
        process.exit(1);
      }' "$work/manifest.json" "$work/contents.txt" "$dir"; then
    fail "$dir: packed package.json"
  fi

  # Their full report only when they find something; one verdict line otherwise.
  name="${dir#packages/}"
  if NO_COLOR=1 "$BIN/publint" run --strict "$tarball" >"$work/logs/publint-$name.log" 2>&1; then
    if grep -q 'All good!' "$work/logs/publint-$name.log"; then echo "✓ $name: publint: all good" >&2; else
      cat "$work/logs/publint-$name.log" >&2
      echo "✓ $name: publint: suggestions only (above)" >&2
    fi
  else
    cat "$work/logs/publint-$name.log" >&2
    fail "$dir: publint"
  fi
  # ESM only (type: module, import-only exports): the esm-only profile leaves
  # out the CommonJS resolutions (node10, node16 from CJS).
  if NO_COLOR=1 "$BIN/attw" --profile esm-only --format ascii "$tarball" >"$work/logs/attw-$name.log" 2>&1; then
    echo "✓ $name: attw --profile esm-only: no problems" >&2
  else
    cat "$work/logs/attw-$name.log" >&2
    fail "$dir: attw --profile esm-only"
  fi
done

echo "› pack-check: installing the tarballs with npm in $work/app" >&2
cp scripts/pack-check/app.ts "$work/app/app.ts"
types_node="$(node -p 'require("./node_modules/@types/node/package.json").version')"
cat >"$work/app/package.json" <<'JSON'
{ "name": "tooz-pack-check-app", "private": true, "type": "module" }
JSON
cat >"$work/app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023", "ESNext.Disposable"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": false,
    "types": ["node"],
    "outDir": "dist"
  },
  "files": ["app.ts"]
}
JSON
if (cd "$work/app" && npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" rxjs@^7.8.2 "@types/node@$types_node" >"$work/logs/npm.log" 2>&1); then
  cores="$(find "$work/app/node_modules" -path '*/@tooz/core/package.json' | wc -l)"
  [ "$cores" = 1 ] || fail "scratch: $cores copies of @tooz/core installed"
  [ ! -e "$work/app/node_modules/vitest" ] || fail "scratch: vitest was installed (an optional peer of @tooz/testing)"

  echo "› pack-check: type-checking the README examples against the packed types" >&2
  if (cd "$work/app" && "$BIN/tsc" -p tsconfig.json); then
    # A user tsconfig with the workspace's custom condition must still see only dist.
    (cd "$work/app" && "$BIN/tsc" -p tsconfig.json --noEmit --customConditions development) ||
      fail "scratch: type-check with customConditions development"
    echo "› pack-check: running them on node $(node --version)" >&2
    (cd "$work/app" && timeout 120 node dist/app.js) || fail "scratch: run on node $(node --version)"
    (cd "$work/app" && timeout 60 node --conditions=development --input-type=module -e 'await import("@tooz/core"); await import("@tooz/testing/memory"); await import("@tooz/driver-file")') ||
      fail "scratch: import with --conditions=development"
    # vitest is not installed here: @tooz/testing's main entry and its vitest-free subpaths must load without it.
    (cd "$work/app" && timeout 60 node --input-type=module -e 'await import("@tooz/testing"); await import("@tooz/testing/memory"); await import("@tooz/testing/fixtures")') ||
      fail "scratch: @tooz/testing without vitest"
    # The install script found the file driver's prebuilt addon loadable and built nothing.
    [ ! -e "$work/app/node_modules/@tooz/driver-file/build" ] || fail "scratch: @tooz/driver-file built its addon although its prebuild loads"
    (cd "$work/app" && timeout 60 npx --no-install tooz --help >/dev/null) || fail "scratch: the tooz command"
    for major in $NODES; do
      echo "› pack-check: running them on node $major (npm's node@$major)" >&2
      if (cd "$work" && npm install --no-audit --no-fund --loglevel=error --prefix "$work/node$major" "node@$major" >"$work/logs/node$major.log" 2>&1); then
        other="$work/node$major/node_modules/.bin/node"
        # The addon is built for this Node's ABI; N-API keeps it loadable across majors.
        (cd "$work/app" && timeout 120 "$other" dist/app.js) || fail "scratch: run on node $major ($("$other" --version))"
      else
        cat "$work/logs/node$major.log" >&2
        fail "scratch: installing node@$major from npm"
      fi
    done
    # Without a loadable addon, the file driver's error says what to run from the application's directory,
    # and that command (npm's) builds it.
    driver_file="$work/app/node_modules/@tooz/driver-file"
    file_connect='import { mkdtempSync, rmSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
      import { connect } from "@tooz/core"; import { file } from "@tooz/driver-file";
      const directory = mkdtempSync(join(tmpdir(), "tooz-pack-check-addon-"));
      try { await (await connect(file({ directory }), { memberId: "addon" })).close(); } finally { rmSync(directory, { recursive: true, force: true }); }'
    mv "$driver_file/prebuilds" "$work/prebuilds-aside" 2>/dev/null || mkdir -p "$work/prebuilds-aside"
    if (cd "$work/app" && timeout 60 node --input-type=module -e "$file_connect") >"$work/logs/no-addon.log" 2>&1; then
      fail "scratch: the file driver connected without its addon"
    elif ! grep -q 'npm rebuild @tooz/driver-file' "$work/logs/no-addon.log" || ! grep -q 'pnpm approve-builds' "$work/logs/no-addon.log"; then
      cat "$work/logs/no-addon.log" >&2
      fail "scratch: the missing-addon error does not say what to run"
    elif ! (cd "$work/app" && npm rebuild @tooz/driver-file >"$work/logs/rebuild.log" 2>&1 &&
      timeout 60 node --input-type=module -e "$file_connect"); then
      cat "$work/logs/rebuild.log" >&2
      fail "scratch: npm rebuild @tooz/driver-file, as the error says"
    fi
    rm -rf "$driver_file/build"
    mv "$work/prebuilds-aside" "$driver_file/prebuilds"
  else
    fail "scratch: type-check"
  fi
else
  cat "$work/logs/npm.log" >&2
  fail "scratch: npm install"
fi

if [ "${#failed[@]}" -gt 0 ]; then
  printf '› pack-check failed (%ss):\n' "$((SECONDS - started))" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "› pack-check: ${#tarballs[@]} packages ok ($((SECONDS - started))s)" >&2
