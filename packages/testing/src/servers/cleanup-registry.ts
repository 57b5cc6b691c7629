import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { signalTree } from './process-tree.js';
import { watchdogNotify } from './watchdog.js';

/**
 * Everything the fixtures created that must not outlive the test process:
 * server process groups, paths (temporary directories, port locks) and
 * commands that release what is neither (a PostgreSQL System V segment).
 *
 * Three layers, because each covers a way the others miss:
 * - dispose (`await using`, or stop in afterAll) removes things in order;
 * - the process 'exit' handler and SIGINT/SIGTERM/SIGHUP handlers here, for a
 *   test run that ends or is interrupted with handles still live;
 * - the watchdog process, for a test process that is SIGKILLed.
 */
const processGroups = new Set<number>();
const paths = new Set<string>();
const commands = new Map<string, readonly string[]>();
let installed = false;

export function trackProcessGroup(pid: number): void {
  install();
  processGroups.add(pid);
  watchdogNotify.addPid(pid);
}

export function untrackProcessGroup(pid: number): void {
  processGroups.delete(pid);
  watchdogNotify.removePid(pid);
}

export function trackPath(path: string): void {
  install();
  paths.add(path);
  watchdogNotify.addPath(path);
}

export function untrackPath(path: string): void {
  paths.delete(path);
  watchdogNotify.removePath(path);
}

/** A command to run once the processes are dead (replaces an earlier one under the same key). */
export function trackCommand(key: string, argv: readonly string[]): void {
  install();
  commands.set(key, argv);
  watchdogNotify.addCommand(key, argv);
}

export function untrackCommand(key: string): void {
  commands.delete(key);
  watchdogNotify.removeCommand(key);
}

/** Runs a tracked command now (if still tracked) and forgets it. */
export function runTrackedCommand(key: string): void {
  const argv = commands.get(key);
  untrackCommand(key);
  if (argv) runQuietly(argv);
}

function runQuietly(argv: readonly string[]): void {
  const [command, ...args] = argv;
  if (command === undefined) return;
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
  } catch {
    // Best effort: what it releases may be gone already.
  }
}

/** What is live right now, for tests that check nothing is left behind. */
export function liveResources(): { processGroups: number[]; paths: string[] } {
  return { processGroups: [...processGroups], paths: [...paths] };
}

/** Synchronous on purpose: it runs in 'exit' handlers, where nothing async completes. */
export function cleanupEverythingNow(): void {
  for (const pid of processGroups) signalTree(pid, 'SIGKILL');
  processGroups.clear();
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort at exit; the watchdog tries again.
    }
  }
  paths.clear();
  for (const argv of commands.values()) runQuietly(argv);
  commands.clear();
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onSignal(signal: NodeJS.Signals): void {
  cleanupEverythingNow();
  // Only ours: re-raise so the process still dies the way the signal asked.
  // Someone else listening (vitest does): let them decide what happens next.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupEverythingNow);
  // Signals are delivered to the main thread only; a worker relies on 'exit' and the watchdog.
  if (isMainThread) {
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
}
