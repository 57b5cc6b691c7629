#!/usr/bin/env node
/**
 * Makes every publishable packages/<dir>/package.json ready to publish, the
 * same way each time (run it again after adding a package):
 *   - repository (with its directory), homepage, bugs, keywords, Apache-2.0,
 *     publishConfig.access public, engines.node as tested (ENGINES below);
 *   - exports: each entry written out from its `development` source path
 *     (`./src/x/index.ts` gives `./dist/x/index.d.ts` and `./dist/x/index.js`),
 *     `./package.json` exported; `publishConfig.exports` is the same map without
 *     `development`, which pnpm puts in the packed package.json, so the
 *     workspace loads sources and users never see them;
 *   - `@tooz/core` a peer dependency (`workspace:^`, and a `workspace:*`
 *     devDependency) of every package that imports it, never a dependency;
 *   - `files` with LICENSE; `prepack`/`postpack` (scripts/prepack.mjs) that
 *     build the package and the workspace packages it needs, and copy LICENSE
 *     (and, for a native addon, scripts/build-native.mjs) in for the tarball;
 *   - for a native addon (a binding.gyp beside it): its C sources, binding.gyp
 *     and build-native.mjs in `files`, an install script that runs the
 *     workspace's build script in the workspace and the packed copy elsewhere.
 * Private packages are left alone. Key order is normalised.
 *
 *   node scripts/package-meta.mjs [packages/<dir> ...]   rewrite what is out of date
 *   node scripts/package-meta.mjs --check                 exit 1, naming each stale file
 *
 * Plain Node, no dependencies. After a run that changed dependencies: pnpm install.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// TODO(lead): the public repository's address, once it has one.
const REPOSITORY = 'https://github.com/tooz-ts/tooz';
/** What scripts/pack-check.sh runs the installed packages on (see PACK_CHECK_NODES there). */
const ENGINES = '^20.19.0 || ^22.12.0 || >=24';
const CORE = '@tooz/core';
const KEYWORDS = ['tooz', 'coordination', 'distributed-lock', 'leader-election', 'group-membership', 'rxjs'];
/** Subpath entries a package offers beyond what its package.json lists: [package, subpath, source]. */
const SUBPATHS = [['@tooz/testing', './memory', './src/memory/index.ts']];
const NATIVE_BUILD = 'build-native.mjs';
// In the workspace the shared script; in an installed package the copy packed beside it.
const INSTALL_NATIVE =
  "node -e \"import(require('node:fs').existsSync('../../pnpm-workspace.yaml') ? '../../scripts/build-native.mjs' : './build-native.mjs')\"";
const KEY_ORDER = [
  'name',
  'version',
  'description',
  'keywords',
  'homepage',
  'bugs',
  'repository',
  'license',
  'type',
  'sideEffects',
  'bin',
  'exports',
  'main',
  'types',
  'files',
  'os',
  'cpu',
  'engines',
  'scripts',
  'dependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'devDependencies',
  'gypfile',
  'publishConfig',
];

const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((arg) => !arg.startsWith('--')).map((arg) => resolve(arg));

const sortKeys = (object) => Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
const union = (...lists) => [...new Set(lists.flat())];

function ordered(pkg) {
  const known = KEY_ORDER.filter((key) => key in pkg).map((key) => [key, pkg[key]]);
  const rest = Object.entries(pkg).filter(([key]) => !KEY_ORDER.includes(key));
  return Object.fromEntries([...known, ...rest]);
}

/** `./src/driver/index.ts` -> `./dist/driver/index` (null when not a source path). */
function distBase(source) {
  const match = /^\.\/src\/(.+)\.(?:ts|mts|tsx)$/.exec(source);
  return match ? `./dist/${match[1]}` : null;
}

function exportsFor(pkg, where) {
  const entries = typeof pkg.exports === 'string' ? { '.': pkg.exports } : { ...(pkg.exports ?? {}) };
  for (const [name, subpath, source] of SUBPATHS) {
    if (name === pkg.name && !(subpath in entries)) entries[subpath] = { development: source };
  }
  const workspace = {};
  for (const [subpath, entry] of Object.entries(entries)) {
    if (subpath === './package.json') continue;
    const source = typeof entry === 'object' && entry !== null ? entry.development : undefined;
    const base = typeof source === 'string' ? distBase(source) : null;
    if (typeof source === 'string' && !base)
      throw new Error(`${where}: exports["${subpath}"].development must be ./src/…ts`);
    // `types` first: TypeScript takes the first condition that matches.
    workspace[subpath] = base ? { development: source, types: `${base}.d.ts`, default: `${base}.js` } : entry;
  }
  workspace['./package.json'] = './package.json';
  const published = Object.fromEntries(
    Object.entries(workspace).map(([subpath, entry]) => {
      if (typeof entry !== 'object' || entry === null) return [subpath, entry];
      const { development: _, ...rest } = entry;
      return [subpath, rest];
    }),
  );
  return { workspace, published };
}

/** Whether any source file imports @tooz/core (or a subpath of it). */
function importsCore(dir) {
  const walk = (path) =>
    readdirSync(path).some((entry) => {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) return walk(full);
      return /\.(?:ts|mts|js|mjs)$/.test(entry) && /from '@tooz\/core(?:\/[^']*)?'/.test(readFileSync(full, 'utf8'));
    });
  return existsSync(join(dir, 'src')) && walk(join(dir, 'src'));
}

function normalise(dir, pkg) {
  const folder = basename(dir);
  const where = `packages/${folder}/package.json`;
  const next = { ...pkg };
  const native = existsSync(join(dir, 'binding.gyp'));
  const driver = pkg.tooz?.driver;

  const own = [
    ...(folder.startsWith('driver-') ? ['driver', driver, ...(pkg.tooz?.schemes ?? [])] : []),
    ...(pkg.name === '@tooz/testing' ? ['testing', 'conformance', 'vitest'] : []),
    ...(pkg.name === '@tooz/cli' ? ['cli'] : []),
  ].filter((word) => typeof word === 'string' && /^[a-z0-9-]+$/.test(word) && word !== 'memory');
  next.keywords = union(pkg.keywords ?? [], KEYWORDS, own);
  next.homepage = `${REPOSITORY}/tree/main/packages/${folder}#readme`;
  next.bugs = { url: `${REPOSITORY}/issues` };
  next.repository = { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${folder}` };
  next.license = 'Apache-2.0';
  next.engines = { ...(pkg.engines ?? {}), node: ENGINES };

  const { workspace, published } = exportsFor(pkg, where);
  next.exports = workspace;
  const main = published['.'];
  if (typeof main === 'object' && main !== null) {
    next.main = main.default;
    next.types = main.types;
  }

  next.files = union(
    (pkg.files ?? ['dist']).filter((file) => file !== NATIVE_BUILD),
    ['dist', 'src', 'README.md', 'LICENSE'],
    native ? ['binding.gyp', 'native', NATIVE_BUILD] : [],
  );

  const scripts = { ...(pkg.scripts ?? {}) };
  scripts.prepack = 'node ../../scripts/prepack.mjs';
  scripts.postpack = 'node ../../scripts/prepack.mjs --clean';
  if (native) {
    scripts.install = INSTALL_NATIVE;
    scripts['build:native'] = INSTALL_NATIVE;
  }
  next.scripts = scripts;

  if (pkg.name !== CORE && (folder.startsWith('driver-') || importsCore(dir))) {
    const { [CORE]: _, ...dependencies } = pkg.dependencies ?? {};
    next.dependencies = dependencies;
    next.peerDependencies = { ...(pkg.peerDependencies ?? {}), [CORE]: 'workspace:^' };
    next.devDependencies = { ...(pkg.devDependencies ?? {}), [CORE]: 'workspace:*' };
  }
  for (const key of ['dependencies', 'peerDependencies', 'devDependencies', 'peerDependenciesMeta']) {
    if (next[key] && Object.keys(next[key]).length === 0) delete next[key];
    else if (next[key]) next[key] = sortKeys(next[key]);
  }

  next.publishConfig = {
    ...(pkg.publishConfig ?? {}),
    access: 'public',
    exports: published,
    ...(next.main ? { main: next.main, types: next.types } : {}),
  };
  return ordered(next);
}

const dirs = readdirSync(join(ROOT, 'packages'))
  .map((folder) => join(ROOT, 'packages', folder))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => only.length === 0 || only.includes(dir));

const stale = [];
for (const dir of dirs) {
  const path = join(dir, 'package.json');
  const text = readFileSync(path, 'utf8');
  const pkg = JSON.parse(text);
  if (pkg.private) continue;
  const out = `${JSON.stringify(normalise(dir, pkg), null, 2)}\n`;
  if (out === text) continue;
  stale.push(relative(ROOT, path));
  if (!check) writeFileSync(path, out);
}

if (check && stale.length > 0) {
  console.error(
    `package-meta: out of date (run node scripts/package-meta.mjs, then pnpm install):\n  ${stale.join('\n  ')}`,
  );
  process.exit(1);
}
if (!check) console.log(stale.length ? `package-meta: wrote ${stale.join(', ')}` : 'package-meta: up to date');
