/**
 * A contender in a process of its own. Run in one process, a raw client's
 * loop and the SDK's share the client library's code, and V8 optimises that
 * code for whichever ran first: measured so, the SDK after a raw ioredis
 * loop took 24 µs of CPU per cycle, against 18 µs in a process that ran
 * only the SDK. Each contender here gets a child process that builds its
 * loop once and runs it on request, so neither pays for the other's
 * warm-up, and the parent still alternates their rounds (loops.ts `bestOf`).
 *
 * A process can also fall, at random and for its whole life, into a state
 * where every minor GC promotes about a quarter of what it scanned into the
 * old generation and a full GC follows every second or so. Seen with
 * --trace-gc in raw ioredis children as in SDK ones (a raw loop at 256 in
 * flight went from 12 to 19 µs of CPU per cycle), it is V8's, not the
 * contender's: so each contender runs in two processes, its rounds go to
 * them in turn, and its best round counts, as for the other noise.
 *
 * The child is the calling script itself, started again with
 * BENCH_ISOLATED_CONTENDER set: it calls `serveIsolated` with a factory for
 * its loop and answers `run <ms>` lines on stdin with a JSON Measured line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { attachBackend, type Backend, type BackendAddress } from './backends.js';
import type { Loop, Measured } from './loops.js';

const ENV = 'BENCH_ISOLATED_CONTENDER';
/** Marks the protocol's lines: anything else on the child's stdout (a V8 trace) is passed on to stderr. */
const MARK = '@bench ';
/** How long a child runs its loop, unmeasured, before it says it is ready. */
const WARM_UP_MS = 1_000;

/** What the child is asked to build: a contender's name and its parameters, with the backend's address. */
export interface IsolatedSpec {
  readonly contender: string;
  readonly workers: number;
  readonly backend: BackendAddress;
}

/** The spec this process was started for, if it is an isolated contender. */
export function isolatedSpec(): IsolatedSpec | undefined {
  const text = process.env[ENV];
  return text ? (JSON.parse(text) as IsolatedSpec) : undefined;
}

/** Starts `script` again as a child for `spec`; the returned Loop runs rounds there. */
export async function isolatedLoop(script: string, spec: IsolatedSpec): Promise<Loop> {
  // With the parent's Node flags (a profile, a V8 trace) so that the child can be looked into the same way.
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, script], {
    env: { ...process.env, [ENV]: JSON.stringify(spec) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // A child that died is reported through `exit`, not as an EPIPE thrown at the next write.
  child.stdin?.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const pending: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  lines.on('line', (line) => {
    if (line.startsWith(MARK)) pending.shift()?.resolve(line.slice(MARK.length));
    else process.stderr.write(`${line}\n`);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.splice(0)) waiter.reject(new Error(`${spec.contender} child exited (${code})`));
  });
  const ask = (command: string) =>
    new Promise<string>((resolve, reject) => {
      pending.push({ resolve, reject });
      child.stdin?.write(`${command}\n`);
    });
  const ready = await ask('ready');
  if (ready !== 'ready') throw new Error(`${spec.contender} child: ${ready}`);
  return {
    run: async (ms) => JSON.parse(await ask(`run ${ms}`)) as Measured,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    },
  };
}

/**
 * `isolatedLoop` in `processes` children: each `run` goes to the next one
 * in turn (with `bestOf`, the contender's best round is the best of them all).
 */
export async function isolatedLoops(script: string, spec: IsolatedSpec, processes = 2): Promise<Loop> {
  const loops: Loop[] = [];
  try {
    for (let i = 0; i < processes; i++) loops.push(await isolatedLoop(script, spec));
  } catch (error) {
    await Promise.allSettled(loops.map((loop) => loop.close()));
    throw error;
  }
  let turn = 0;
  return {
    run: (ms) => (loops[turn++ % loops.length] as Loop).run(ms),
    close: async () => {
      await Promise.allSettled(loops.map((loop) => loop.close()));
    },
  };
}

/** The child's side: builds the loop once, then runs it for each `run <ms>` line until stdin ends. */
export async function serveIsolated(spec: IsolatedSpec, build: (backend: Backend) => Promise<Loop>): Promise<void> {
  const backend = attachBackend(spec.backend);
  const loop = await build(backend);
  // Cold code would be timed in the first rounds: the parent's warm-up round is short, and meant for caches.
  await loop.run(WARM_UP_MS);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'ready') process.stdout.write(`${MARK}ready\n`);
    else if (line.startsWith('run '))
      process.stdout.write(`${MARK}${JSON.stringify(await loop.run(Number(line.slice(4))))}\n`);
  }
  await loop.close();
  await backend[Symbol.asyncDispose]();
  process.exit(0);
}
