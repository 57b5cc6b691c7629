#!/usr/bin/env node
/**
 * Every publishable package's `prepack` (run in the package's directory by
 * `pnpm pack` / `pnpm publish`): builds the workspace packages it depends on
 * (turbo), then the package itself into an emptied `dist`, so a pack from a
 * fresh clone has `dist` and nothing stale;
 * then copies the root LICENSE and, for a package with a native addon, the
 * shared scripts/build-native.mjs into the package, so the tarball never
 * reaches outside itself; and, for an addon whose `files` lists `prebuilds`,
 * builds the prebuilt binaries (build-native.mjs --prebuild).
 * `--clean` (its `postpack`) removes the copies and the prebuilds.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = process.cwd();
const { name, scripts, files } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const native = existsSync(join(packageDir, 'binding.gyp'));
const copies = [['LICENSE', 'LICENSE'], ...(native ? [['scripts/build-native.mjs', 'build-native.mjs']] : [])];
const prebuilds = native && (files ?? []).includes('prebuilds');

if (process.argv.includes('--clean')) {
  for (const [, to] of copies) rmSync(join(packageDir, to), { force: true });
  // Never left in the workspace: a stale prebuild would hide a change to the C sources wherever build/ is missing.
  if (prebuilds) rmSync(join(packageDir, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}

// Quiet unless it fails: turbo prints a summary even with nothing to say.
const run = (command, args, cwd, what) => {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', shell: args.length === 0 });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    console.error(`${name}: prepack: ${what} failed${result.error ? ` (${result.error.message})` : ''}`);
    process.exit(result.status ?? 1);
  }
};
// The workspace packages it depends on, from turbo's cache when they are unchanged.
const turbo = join(ROOT, 'node_modules', '.bin', 'turbo');
run(turbo, ['run', 'build', `--filter=${name}^...`, '--output-logs=errors-only'], ROOT, 'building its dependencies');
// Itself from a clean dist, so files whose sources are gone are not published.
rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
const bins = [join(packageDir, 'node_modules', '.bin'), join(ROOT, 'node_modules', '.bin')];
process.env.PATH = [...bins, process.env.PATH].join(delimiter);
run(scripts.build, [], packageDir, 'its build');
for (const [from, to] of copies) copyFileSync(join(ROOT, from), join(packageDir, to));
if (prebuilds)
  run(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs'), '--prebuild'], packageDir, 'its prebuilds');
