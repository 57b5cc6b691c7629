#!/usr/bin/env node
/**
 * The one list of drivers. Each driver package declares itself in a "tooz"
 * block of its package.json; drivers with no package yet are listed in
 * drivers/planned.json (a package of the same name wins over its entry).
 * From those this writes:
 *   - packages/core/src/connect/known-drivers.generated.ts (core's KNOWN_DRIVERS),
 *   - the DRIVERS list of vitest.config.ts (one test project per driver package),
 *   - the driver benchmarks of bench/src/index.ts,
 *   - the driver table of README.md,
 * the last three between `drivers.mjs:begin` / `drivers.mjs:end` marker lines.
 *
 *   node scripts/drivers.mjs           rewrite what is out of date
 *   node scripts/drivers.mjs --check   exit 1, naming each stale file, if anything is out of date
 *
 * Plain Node, no dependencies: it runs before `pnpm install`.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PLANNED = 'drivers/planned.json';
const PRIMITIVES = ['groups', 'leadership', 'locks', 'fencing'];
const README_NOTES = ['liveness', 'notifications', ...PRIMITIVES, 'note'];
const KEYS = ['driver', 'schemes', 'primitives', 'liveness', 'notifications', 'pollInterval', 'url', 'bench'];
const BLOCK_KEYS = new Set([...KEYS, 'status', 'readme']);
const PLANNED_KEYS = new Set([...KEYS, 'package', 'readme']);
/** Core's poll interval when a descriptor gives none (packages/core/src/connect/connect.ts). */
const DEFAULT_POLL_INTERVAL = 1_000;

class BadBlock extends Error {}

const read = (path) => readFileSync(join(ROOT, path), 'utf8');

/** Validates one declaration; `where` names it in errors (`packages/driver-x/package.json: tooz.url ...`). */
function validate(block, where, allowed, planned) {
  const fail = (field, message) => {
    throw new BadBlock(`${where}: ${field} ${message}`);
  };
  if (typeof block !== 'object' || block === null || Array.isArray(block)) fail('tooz', 'must be an object');
  for (const key of Object.keys(block)) if (!allowed.has(key)) fail(`tooz.${key}`, 'is not a known field');
  const { driver, schemes, primitives, liveness, notifications, pollInterval, url, bench, readme, status } = block;
  if (typeof driver !== 'string' || !/^[a-z][a-z0-9-]*$/.test(driver)) fail('tooz.driver', 'must be a lower-case name');
  const isList = (value, test) => Array.isArray(value) && value.length > 0 && value.every(test);
  if (!isList(schemes, (s) => typeof s === 'string' && /^[a-z][a-z0-9+.-]*$/.test(s))) {
    fail('tooz.schemes', 'must be a non-empty list of lower-case URL schemes');
  }
  if (!isList(primitives, (p) => PRIMITIVES.includes(p)) || new Set(primitives).size !== primitives.length) {
    fail('tooz.primitives', `must list some of ${PRIMITIVES.join(', ')}, once each`);
  }
  if (liveness !== 'session' && liveness !== 'ttl') fail('tooz.liveness', 'must be "session" or "ttl"');
  // A planned driver may not know yet how it will be told of changes.
  if (!(planned && notifications === undefined) && notifications !== 'push' && notifications !== 'poll') {
    fail('tooz.notifications', 'must be "push" or "poll"');
  }
  if (
    pollInterval !== undefined &&
    (notifications !== 'poll' || !(Number.isInteger(pollInterval) && pollInterval > 0))
  ) {
    fail('tooz.pollInterval', 'must be a positive whole number of ms, and only with notifications "poll"');
  }
  if (typeof url !== 'string' || !schemes.some((scheme) => url.startsWith(`${scheme}://`))) {
    fail('tooz.url', 'must be an example URL in one of its schemes');
  }
  if (typeof bench !== 'boolean') fail('tooz.bench', 'must be true or false');
  if (bench && !existsSync(join(ROOT, 'bench/src', `${driver}.ts`)))
    fail('tooz.bench', `is true but bench/src/${driver}.ts is missing`);
  if (status !== undefined && status !== 'planned') fail('tooz.status', 'must be "planned" or absent (published)');
  if (readme !== undefined) {
    if (typeof readme !== 'object' || readme === null) fail('tooz.readme', 'must be an object');
    for (const [key, value] of Object.entries(readme)) {
      if (!README_NOTES.includes(key) || typeof value !== 'string') {
        fail(`tooz.readme.${key}`, `must be a string, one of ${README_NOTES.join(', ')}`);
      }
    }
  }
}

/**
 * The capability descriptor a driver's src/ exports (`{ name: '<driver>', ... } satisfies
 * CapabilityDescriptor`), read as text: what the tooz block says must agree with it.
 * Undefined when no literal descriptor is found (then nothing is compared).
 */
function descriptorOf(dir, name) {
  const files = [];
  const walk = (path) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.ts')) files.push(full);
    }
  };
  if (existsSync(join(dir, 'src'))) walk(join(dir, 'src'));
  const literal = /export const \w+ = \{([\s\S]*?)\}\s*(?:as const\s+)?satisfies CapabilityDescriptor/g;
  for (const file of files) {
    for (const [, body] of readFileSync(file, 'utf8').matchAll(literal)) {
      if (!new RegExp(`\\bname: '${name}'`).test(body)) continue;
      const field = (key) => new RegExp(`\\b${key}: '(\\w+)'`).exec(body)?.[1];
      const primitivesText = /\bprimitives: \{([^}]*)\}/.exec(body)?.[1] ?? '';
      const interval = /\bpollInterval: ([\d_]+)/.exec(body)?.[1];
      return {
        file: relative(ROOT, file),
        liveness: field('liveness'),
        notifications: field('notifications'),
        pollInterval: interval === undefined ? undefined : Number(interval.replaceAll('_', '')),
        primitives: [...primitivesText.matchAll(/(\w+): true/g)].map((m) => m[1]),
      };
    }
  }
  return undefined;
}

function compareWithDescriptor(entry, dir, where) {
  const descriptor = descriptorOf(dir, entry.name);
  if (!descriptor) {
    console.warn(`drivers: ${where}: no literal capability descriptor named '${entry.name}' found; not compared`);
    return;
  }
  const differ = (field, block, source) => {
    throw new BadBlock(`${where}: tooz.${field} is ${block} but ${descriptor.file} says ${source}`);
  };
  for (const field of ['liveness', 'notifications', 'pollInterval']) {
    if (descriptor[field] !== entry[field]) differ(field, entry[field], descriptor[field]);
  }
  const sorted = (list) => PRIMITIVES.filter((p) => list.includes(p)).join(', ');
  if (sorted(descriptor.primitives) !== sorted(entry.primitives)) {
    differ('primitives', sorted(entry.primitives), sorted(descriptor.primitives));
  }
}

function entryOf(block, packageName, status, dir) {
  return {
    name: block.driver,
    packageName,
    status,
    dir,
    schemes: block.schemes,
    primitives: PRIMITIVES.filter((p) => block.primitives.includes(p)),
    liveness: block.liveness,
    notifications: block.notifications,
    pollInterval: block.pollInterval,
    url: block.url,
    bench: block.bench,
    readme: block.readme ?? {},
  };
}

/** Every driver: published and workspace packages first, then planned ones, each by name. */
export function readDrivers() {
  const byName = new Map();
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const path = `packages/${dir}/package.json`;
    if (!existsSync(join(ROOT, path))) continue;
    const pkg = JSON.parse(read(path));
    if (pkg.tooz === undefined) continue;
    validate(pkg.tooz, path, BLOCK_KEYS, false);
    const entry = entryOf(pkg.tooz, pkg.name, pkg.tooz.status ?? 'available', `packages/${dir}`);
    if (byName.has(entry.name)) throw new BadBlock(`${path}: tooz.driver "${entry.name}" is declared twice`);
    compareWithDescriptor(entry, join(ROOT, entry.dir), path);
    byName.set(entry.name, entry);
  }
  const planned = JSON.parse(read(PLANNED));
  for (const [index, block] of (planned.drivers ?? []).entries()) {
    const where = `${PLANNED}: drivers[${index}]`;
    validate(block, where, PLANNED_KEYS, true);
    if (typeof block.package !== 'string') throw new BadBlock(`${where}: package must name the npm package`);
    if (!byName.has(block.driver)) byName.set(block.driver, entryOf(block, block.package, 'planned', undefined));
  }
  const drivers = [...byName.values()].sort(
    (a, b) => Number(a.status === 'planned') - Number(b.status === 'planned') || a.name.localeCompare(b.name),
  );
  const owner = new Map();
  for (const driver of drivers) {
    for (const scheme of driver.schemes) {
      if (owner.has(scheme))
        throw new BadBlock(`scheme "${scheme}" is claimed by both ${owner.get(scheme)} and ${driver.name}`);
      owner.set(scheme, driver.name);
    }
  }
  return drivers;
}

const quote = (text) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const list = (items) => `[${items.map(quote).join(', ')}]`;
const GENERATED = 'Generated by scripts/drivers.mjs from the "tooz" blocks of the packages and drivers/planned.json';

function knownDriversFile(drivers) {
  const entries = drivers.map((d) =>
    [
      '  {',
      `    name: ${quote(d.name)},`,
      `    status: ${quote(d.status)},`,
      `    packageName: ${quote(d.packageName)},`,
      `    schemes: ${list(d.schemes)},`,
      `    primitives: ${list(d.primitives)},`,
      `    url: ${quote(d.url)},`,
      '  },',
    ].join('\n'),
  );
  return [
    `// ${GENERATED}.`,
    '// Do not edit: change those, then run `node scripts/drivers.mjs`.',
    "import type { KnownDriver } from './known-drivers.js';",
    '',
    '/** Every driver this SDK knows by scheme: its package, status, primitives and an example URL (for `connect()` hints). */',
    'export const KNOWN_DRIVERS: readonly KnownDriver[] = [',
    ...entries,
    '];',
    '',
  ].join('\n');
}

/** Driver packages in this workspace, planned or not: each gets a vitest project. */
const packaged = (drivers) => drivers.filter((d) => d.dir?.startsWith('packages/driver-'));

function vitestBlock(drivers) {
  return [`const DRIVERS = ${list(packaged(drivers).map((d) => d.dir.slice('packages/driver-'.length)))} as const;`];
}

function benchBlock(drivers) {
  return drivers.filter((d) => d.bench).map((d) => `  ${d.name}: () => import(${quote(`./${d.name}.js`)}),`);
}

const YES = '✓';
const NO = '–';

function readmeBlock(drivers) {
  const cell = (d, primitive) =>
    d.primitives.includes(primitive) ? YES + (d.readme[primitive] ? ` (${d.readme[primitive]})` : '') : NO;
  const notifications = (d) => {
    if (d.readme.notifications) return d.readme.notifications;
    if (d.notifications === undefined) return NO;
    if (d.notifications === 'push') return 'push';
    return `poll, every ${d.pollInterval ?? DEFAULT_POLL_INTERVAL} ms`;
  };
  const urls = (d) => {
    const others = d.schemes.filter((s) => !d.url.startsWith(`${s}://`)).map((s) => `\`${s}://\``);
    return [`\`${d.url}\``, ...others].join(', ');
  };
  const rows = drivers.map((d) =>
    [
      d.name,
      `\`${d.packageName}\``,
      urls(d),
      d.readme.liveness ?? (d.liveness === 'ttl' ? 'TTL' : 'session'),
      notifications(d),
      ...PRIMITIVES.map((p) => cell(d, p)),
      d.status + (d.readme.note ? ` (${d.readme.note})` : ''),
    ].join(' | '),
  );
  return [
    '| driver | package | URL | liveness | notifications | groups | leadership | locks | fencing | status |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ];
}

/** Replaces the lines between the file's begin and end markers (kept as they are). */
function spliceMarked(path, text, lines) {
  const all = text.split('\n');
  const begin = all.findIndex((line) => line.includes('drivers.mjs:begin'));
  const end = all.findIndex((line) => line.includes('drivers.mjs:end'));
  if (begin === -1 || end < begin)
    throw new BadBlock(`${path}: no "drivers.mjs:begin" ... "drivers.mjs:end" marker lines`);
  return [...all.slice(0, begin + 1), ...lines, ...all.slice(end)].join('\n');
}

function outputs(drivers) {
  const marked = (path, lines) => ({ path, text: spliceMarked(path, read(path), lines) });
  return [
    { path: 'packages/core/src/connect/known-drivers.generated.ts', text: knownDriversFile(drivers) },
    marked('vitest.config.ts', vitestBlock(drivers)),
    marked('bench/src/index.ts', benchBlock(drivers)),
    marked('README.md', readmeBlock(drivers)),
  ];
}

function main() {
  const check = process.argv.includes('--check');
  let files;
  try {
    files = outputs(readDrivers());
  } catch (error) {
    if (!(error instanceof BadBlock)) throw error;
    console.error(`drivers: ${error.message}`);
    process.exit(1);
  }
  const stale = files.filter(({ path, text }) => !existsSync(join(ROOT, path)) || read(path) !== text);
  if (check) {
    for (const { path } of stale) console.error(`drivers: ${path} is out of date: run node scripts/drivers.mjs`);
    process.exit(stale.length > 0 ? 1 : 0);
  }
  for (const { path, text } of stale) {
    writeFileSync(join(ROOT, path), text);
    console.log(`drivers: wrote ${path}`);
  }
  if (stale.length === 0) console.log('drivers: everything is up to date');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
