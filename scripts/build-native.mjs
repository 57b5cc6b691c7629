// The native addon of the package in the current directory (file, ipc).
//
// As its `install` script (npm and pnpm run it there): a prebuilt binary in
// prebuilds/<platform>-<arch>/ that loads here is used as it is; otherwise
// (another platform, a glibc older than the prebuild's, npm's
// --build-from-source) the addon is built with node-gyp, the one npm or pnpm
// provide, on Node's own headers when they are installed beside it, so nothing
// is downloaded. On failure, names the build tools that are missing and what
// to run from the application's directory.
//
// With --prebuild (scripts/prepack.mjs, on Linux): builds prebuilds/linux-x64
// (the host) and, with the aarch64 cross compiler (Debian:
// gcc-aarch64-linux-gnu libc6-dev-arm64-cross), prebuilds/linux-arm64, in
// scratch directories so the package's own build/ is never touched.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

const packageDir = process.cwd();
const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const prefix = dirname(dirname(process.execPath));
const target = /"target_name"\s*:\s*"([^"]+)"/.exec(readFileSync(join(packageDir, 'binding.gyp'), 'utf8'))?.[1];
if (!target) throw new Error(`${name}: no target_name in binding.gyp`);
const prebuilt = (arch) => join(packageDir, 'prebuilds', `${process.platform}-${arch}`, `${target}.node`);
// What to run from the application's directory, whichever package manager installed it.
const AGAIN =
  `npm: npm rebuild ${name}; pnpm (which skips dependencies' build scripts until approved): ` +
  `pnpm approve-builds, then pnpm rebuild ${name}`;

const onPath = (command) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

function nodeGyp() {
  const bundled = [
    process.env.npm_config_node_gyp,
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(prefix, 'lib', 'node_modules', 'pnpm', 'dist', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((path) => path && existsSync(path));
  if (bundled) return [process.execPath, [bundled]];
  if (onPath('node-gyp')) return ['node-gyp', []];
  return undefined;
}

const gyp = nodeGyp();
const hasHeaders = existsSync(join(prefix, 'include', 'node', 'node_api.h'));

/** node-gyp rebuild in `cwd`: its output shown (install) or kept to show on failure (prebuild). */
function rebuild(cwd, args, { env = process.env, quiet = false } = {}) {
  if (!gyp) return { status: 1, output: '' };
  const stdio = quiet ? 'pipe' : 'inherit';
  const result = spawnSync(gyp[0], [...gyp[1], 'rebuild', ...args], { cwd, env, stdio, encoding: 'utf8' });
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function install() {
  const here = prebuilt(process.arch);
  if (process.env.npm_config_build_from_source !== 'true' && existsSync(here)) {
    try {
      createRequire(import.meta.url)(here);
      return;
    } catch (error) {
      const reason = String(error instanceof Error ? error.message : error).split('\n')[0];
      console.error(`${name}: the prebuilt addon does not load here (${reason}); building it instead.`);
    }
  }
  if (rebuild(packageDir, hasHeaders ? [`--nodedir=${prefix}`] : []).status === 0) return;
  const missing = [
    ['python3', 'python3'],
    ['make', 'make'],
    ['cc', 'a C compiler (gcc or clang)'],
  ]
    .filter(([command]) => !onPath(command))
    .map(([, what]) => what);
  const reasons = [
    gyp ? undefined : 'node-gyp was not found (it comes with npm and pnpm)',
    missing.length > 0 ? `missing build tools: ${missing.join(', ')}` : undefined,
  ].filter(Boolean);
  console.error(
    `\n${name}: building its native addon failed${reasons.length ? `: ${reasons.join('; ')}` : ''}.\n` +
      'It needs python3, make and a C compiler (Debian/Ubuntu: apt-get install python3 make gcc),\n' +
      `and Node's headers (installed with Node, or downloaded by node-gyp). Then, from your application's directory:\n` +
      `${AGAIN}\n`,
  );
  process.exit(1);
}

// ELF e_machine of each architecture: a cross build that fell back to the host compiler is caught here.
const MACHINE = { x64: 62, arm64: 183 };
const CROSS = { arm64: 'aarch64-linux-gnu' };

function prebuild() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`${name}: prebuilds are made on linux-x64 (this is ${process.platform}-${process.arch})`);
    process.exit(1);
  }
  rmSync(join(packageDir, 'prebuilds'), { recursive: true, force: true });
  for (const arch of ['x64', 'arm64']) {
    const cross = CROSS[arch];
    if (cross && !onPath(`${cross}-gcc`)) {
      console.error(
        `${name}: no linux-${arch} prebuild: ${cross}-gcc is missing ` +
          '(Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross); it builds at install there.',
      );
      continue;
    }
    const scratch = mkdtempSync(join(tmpdir(), 'tooz-prebuild-'));
    try {
      cpSync(join(packageDir, 'binding.gyp'), join(scratch, 'binding.gyp'));
      cpSync(join(packageDir, 'native'), join(scratch, 'native'), { recursive: true });
      const args = [`--arch=${arch}`];
      if (hasHeaders) {
        // Only Node's headers: with --nodedir=/usr a cross compiler would also see the host's /usr/include.
        mkdirSync(join(scratch, 'node', 'include'), { recursive: true });
        symlinkSync(join(prefix, 'include', 'node'), join(scratch, 'node', 'include', 'node'));
        args.push(`--nodedir=${join(scratch, 'node')}`);
      }
      const env = cross
        ? { ...process.env, CC: `${cross}-gcc`, CXX: `${cross}-g++`, LINK: `${cross}-gcc` }
        : process.env;
      const result = rebuild(scratch, args, { env, quiet: true });
      const built = join(scratch, 'build', 'Release', `${target}.node`);
      if (result.status !== 0 || !existsSync(built)) {
        process.stderr.write(result.output);
        console.error(`${name}: the linux-${arch} prebuild failed${gyp ? '' : ' (node-gyp was not found)'}`);
        process.exit(1);
      }
      const machine = readFileSync(built).readUInt16LE(18);
      if (machine !== MACHINE[arch]) {
        console.error(`${name}: the linux-${arch} prebuild is for ELF machine ${machine}, not ${MACHINE[arch]}`);
        process.exit(1);
      }
      mkdirSync(dirname(prebuilt(arch)), { recursive: true });
      copyFileSync(built, prebuilt(arch));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

if (process.argv.includes('--prebuild')) prebuild();
else install();
