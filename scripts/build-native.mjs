// Builds the native addon of the package in the current directory (its
// `install` script: npm and pnpm run it there). Shared by the drivers with
// an addon (file, ipc): node-gyp is the one npm or pnpm provide; Node's own
// headers are used when they are installed beside it, so nothing is
// downloaded. On failure, names the build tools that are missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const packageDir = process.cwd();
const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const prefix = dirname(dirname(process.execPath));

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

const missing = [
  ['python3', 'python3'],
  ['make', 'make'],
  ['cc', 'a C compiler (gcc or clang)'],
]
  .filter(([command]) => !onPath(command))
  .map(([, what]) => what);

const gyp = nodeGyp();
const headers = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const result = gyp
  ? spawnSync(gyp[0], [...gyp[1], 'rebuild', ...headers], { cwd: packageDir, stdio: 'inherit' })
  : { status: 1 };

if (result.status !== 0) {
  const reasons = [
    gyp ? undefined : 'node-gyp was not found (it comes with npm and pnpm)',
    missing.length > 0 ? `missing build tools: ${missing.join(', ')}` : undefined,
  ].filter(Boolean);
  console.error(
    `\n${name}: building its native addon failed${reasons.length ? `: ${reasons.join('; ')}` : ''}.\n` +
      'It needs python3, make and a C compiler (Debian/Ubuntu: apt-get install python3 make gcc),\n' +
      "and Node's headers (installed with Node, or downloaded by node-gyp). Then run: npm run build:native\n",
  );
  process.exit(1);
}
