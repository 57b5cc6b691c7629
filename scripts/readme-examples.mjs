#!/usr/bin/env node
/**
 * Every README example works as written. Each ```ts / ```typescript block of
 * every README.md in the repository is written to a file of its own, all of
 * them are type-checked in one `tsc -p` with the workspace's strict settings,
 * and the runnable ones are then run with tsx and must exit 0 in time.
 *
 * A block is, by the HTML comment on the line right before its fence:
 *   (none)                                  run when it names memory:// or file://, else type-checked
 *   <!-- readme-example: run -->            type-checked and run (a local backend, e.g. ipc)
 *   <!-- readme-example: check -->          type-checked only
 *   <!-- readme-example: fragment -->       neither: only for what cannot be made whole
 * Text after the mode (a reason) is welcome: `<!-- readme-example: check (a vitest test) -->`.
 *
 * Files go to examples/node_modules/.cache/readme-examples: inside the
 * `examples` workspace package, so `@tooz/*` resolve through its dependencies
 * (to sources, with the `development` condition), and under node_modules, so
 * neither git nor biome sees them. A run gets a temporary working directory,
 * and `file:///<path>` in its copy becomes `file://<that directory>/<path>`,
 * so a file:// example runs as written without writing outside it.
 *
 *   node scripts/readme-examples.mjs            check every README
 *   node scripts/readme-examples.mjs README.md  only these READMEs
 *   README_EXAMPLES_TIMEOUT=60000               ms a run may take (default 60 s)
 *   README_EXAMPLES_KEEP=1                      keep the generated files
 *
 * Exits 1 naming `README:line` of each block that does not type-check or run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'examples/node_modules/.cache/readme-examples');
const BIN = join(ROOT, 'node_modules/.bin');
const TIMEOUT = Number(process.env.README_EXAMPLES_TIMEOUT ?? 60_000);
const MODES = new Set(['run', 'check', 'fragment']);
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git', '.turbo', 'coverage']);

/** Every README.md under the root, in a stable order. */
function findReadmes(dir = ROOT) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) found.push(...findReadmes(join(dir, entry.name)));
    else if (entry.isFile() && entry.name === 'README.md') found.push(relative(ROOT, join(dir, entry.name)));
  }
  return found;
}

/** The TypeScript blocks of one README, with the README line of each block's first code line. */
function extractBlocks(readme, problems) {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let end = i + 1;
    while (
      end < lines.length &&
      !(lines[end].trim().startsWith(fence) && lines[end].trim().replace(/[`~]/g, '') === '')
    )
      end++;
    if (lang === 'ts' || lang === 'typescript') {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const marker = /^<!--\s*readme-example:\s*([\w-]+)/.exec(lines[before]?.trim() ?? '');
      const at = `${readme}:${i + 1}`;
      if (marker && !MODES.has(marker[1])) problems.push(`${at}: unknown readme-example mode "${marker[1]}"`);
      const code = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      const local = /['"`](memory|file):\/\//.test(code.join('\n'));
      blocks.push({ readme, line: i + 2, at, code, mode: marker?.[1] ?? (local ? 'run' : 'check') });
    }
    i = end;
  }
  return blocks;
}

const only = process.argv.slice(2).map((path) => relative(ROOT, resolve(path)));
const readmes = only.length ? only : findReadmes();
const problems = [];
const blocks = readmes.flatMap((readme) => extractBlocks(readme, problems));
const checked = blocks.filter((block) => block.mode !== 'fragment');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
for (const block of checked) {
  block.file = `${block.readme.replace(/[^\w-]+/g, '_')}_L${block.line - 1}.ts`;
  writeFileSync(join(OUT, block.file), `${block.code.join('\n')}\n`);
}
// Node looks for a file's package.json no higher than node_modules: this one makes every block an ES module.
writeFileSync(join(OUT, 'package.json'), '{ "private": true, "type": "module" }\n');
const byFile = new Map(checked.map((block) => [block.file, block]));

// The workspace's strict settings; every block its own module, so two blocks may both declare `coordinator`.
writeFileSync(
  join(OUT, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: relative(OUT, join(ROOT, 'tsconfig.base.json')),
      compilerOptions: { noEmit: true, moduleDetection: 'force', types: ['node'] },
      files: checked.map((block) => block.file),
    },
    null,
    2,
  ),
);

console.error(`› readme-examples: type-checking ${checked.length} blocks of ${readmes.length} READMEs`);
const tsc = spawnSync(join(BIN, 'tsc'), ['-p', join(OUT, 'tsconfig.json'), '--pretty', 'false'], {
  cwd: ROOT,
  encoding: 'utf8',
});
const failedChecks = new Set();
for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n').filter(Boolean)) {
  // `<path>(line,col): error TSxxxx: ...`, told at the README's own line.
  const at = /^(.*?)\((\d+),(\d+)\): (.*)$/.exec(line);
  const block = at && byFile.get(relative(OUT, join(ROOT, at[1])));
  if (block) {
    // A package the examples package does not depend on cannot resolve.
    if (/TS2307: .*'@tooz\//.test(line)) at[4] += ' (add the package to examples/package.json)';
    failedChecks.add(block);
    problems.push(
      `${block.readme}:${block.line + Number(at[2]) - 1}:${at[3]} (block at line ${block.line - 1}): ${at[4]}`,
    );
  } else problems.push(line);
}
if (tsc.status !== 0 && !problems.length) problems.push(`tsc exited with ${tsc.status ?? tsc.signal}`);

const runs = checked.filter((block) => block.mode === 'run' && !failedChecks.has(block));
console.error(`› readme-examples: running ${runs.length} blocks (memory://, file:// and marked ones)`);
for (const block of runs) {
  const cwd = mkdtempSync(join(tmpdir(), 'tooz-readme-'));
  try {
    const copy = block.code.join('\n').replaceAll('file:///', `file://${cwd}/`);
    const file = join(OUT, block.file.replace(/\.ts$/, '.run.ts'));
    writeFileSync(file, `${copy}\n`);
    const started = performance.now();
    const run = spawnSync(join(BIN, 'tsx'), ['--conditions=development', file], {
      cwd,
      encoding: 'utf8',
      timeout: TIMEOUT,
      killSignal: 'SIGKILL',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (run.status === 0) {
      console.error(`✓ ${block.at} ran (${took})`);
      continue;
    }
    const why =
      run.error?.code === 'ETIMEDOUT' ? `did not exit within ${TIMEOUT} ms` : `exited with ${run.status ?? run.signal}`;
    const output = `${run.stdout}${run.stderr}`.trim().split('\n').slice(-30).join('\n  ');
    problems.push(`${block.at} (run): ${why} after ${took}\n  ${output}`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (!process.env.README_EXAMPLES_KEEP) rmSync(OUT, { recursive: true, force: true });
const fragments = blocks.length - checked.length;
if (problems.length) {
  console.error(`✗ readme-examples: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.error(
  `› readme-examples: ${checked.length} blocks type-check, ${runs.length} ran` +
    (fragments ? `, ${fragments} fragment(s) skipped` : ''),
);
if (existsSync(OUT)) console.error(`  kept in ${relative(ROOT, OUT)}`);
