import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';

/**
 * A tiny detached Node process, one per test process, that outlives it.
 *
 * Exit and signal handlers cannot run when the test process is SIGKILLed
 * (vitest does that to a hung worker, so does an impatient user), and the
 * kernel offers no portable "kill my children when I die" (prctl's
 * PDEATHSIG is per-thread and unreachable from Node). The watchdog reads a
 * list of resources on its stdin; the kernel closes that pipe whatever way
 * its parent dies, and on EOF the watchdog kills every listed process group
 * and removes every listed path. No polling, no PID guessing.
 *
 * Protocol, one line each: `+pid N`, `-pid N`, `+path P`, `-path P`,
 * `+cmd KEY JSON-ARGV`, `-cmd KEY` (keys have no spaces).
 */
const WATCHDOG_SOURCE = `
const fs = require('node:fs');
const pids = new Set();
const paths = new Set();
const commands = new Map();
let pending = '';
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const space = line.indexOf(' ');
    const op = line.slice(0, space);
    const arg = line.slice(space + 1);
    if (op === '+pid') pids.add(Number(arg));
    else if (op === '-pid') pids.delete(Number(arg));
    else if (op === '+path') paths.add(arg);
    else if (op === '-path') paths.delete(arg);
    else if (op === '+cmd') { const at = arg.indexOf(' '); commands.set(arg.slice(0, at), JSON.parse(arg.slice(at + 1))); }
    else if (op === '-cmd') commands.delete(arg);
  }
});
const alive = (pid) => {
  try { process.kill(pid, 0); } catch { return false; }
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch { return false; }
};
// Descendants too: PostgreSQL backends leave their postmaster's process group.
const descendants = (root) => {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {}
  }
  const found = [];
  const queue = [...(children.get(root) || [])];
  while (queue.length) { const next = queue.shift(); found.push(next); queue.push(...(children.get(next) || [])); }
  return found;
};
const kill = (pid) => { try { process.kill(pid, 'SIGKILL'); } catch {} };
const cleanup = () => {
  for (const pid of pids) {
    let tree = [];
    try { tree = descendants(pid); } catch {}
    kill(-pid);
    kill(pid);
    tree.forEach(kill);
  }
  const deadline = Date.now() + 5000;
  const finish = () => {
    if ([...pids].some(alive) && Date.now() < deadline) return setTimeout(finish, 20);
    for (const path of paths) { try { fs.rmSync(path, { recursive: true, force: true, maxRetries: 3 }); } catch {} }
    for (const argv of commands.values()) { try { require('node:child_process').spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 5000 }); } catch {} }
    process.exit(0);
  };
  finish();
};
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
`;

let watchdog: ChildProcess | undefined;
let broken = false;

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog || broken) return watchdog;
  try {
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      // Own session: a Ctrl+C aimed at the test run must not kill the watchdog first.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      // NODE_OPTIONS may carry loaders (tsx, vitest) that slow it down or break `-e`.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    child.on('error', () => {
      broken = true;
    });
    child.stdin?.on('error', () => {
      // The watchdog died (or was killed): exit handlers remain the fallback.
      broken = true;
    });
    // Neither the process nor its pipe may keep the test process alive.
    child.unref();
    if (child.stdin instanceof Socket) child.stdin.unref();
    watchdog = child;
  } catch {
    broken = true;
  }
  return watchdog;
}

function send(line: string): void {
  const child = ensureWatchdog();
  if (!child?.stdin || child.stdin.destroyed) return;
  child.stdin.write(`${line}\n`);
}

export const watchdogNotify = {
  addPid: (pid: number): void => send(`+pid ${pid}`),
  removePid: (pid: number): void => send(`-pid ${pid}`),
  addPath: (path: string): void => send(`+path ${path}`),
  removePath: (path: string): void => send(`-path ${path}`),
  addCommand: (key: string, argv: readonly string[]): void => send(`+cmd ${key} ${JSON.stringify(argv)}`),
  removeCommand: (key: string): void => send(`-cmd ${key}`),
};

/** The watchdog's PID, for tests of the cleanup itself. */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}
