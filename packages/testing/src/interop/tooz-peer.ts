import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's python3, where python3-tooz is installed (not a pyenv one that may come first on PATH). */
const PYTHON = process.env.TOOZ_PYTHON ?? '/usr/bin/python3';
/** Beside `src/` and `dist/` alike, so the built package finds it too. */
const SCRIPT = fileURLToPath(new URL('../../python/tooz_peer.py', import.meta.url));

/** A Python value that JSON has no type for, as the peer tags it: bytes, ints beyond 2**53, whole or non-finite floats. */
export type PythonTagged =
  | {
      /** The bytes, in hex. */
      readonly bytes: string;
    }
  | {
      /** The integer, in decimal. */
      readonly int: string;
    }
  | {
      /** The float as Python's `repr` writes it (`1.0`, `inf`, `nan`). */
      readonly float: string;
    };

/** Tags a value for the peer: Uint8Array → bytes, bigint → int; numbers stay JSON numbers. */
export function toPython(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (typeof value === 'bigint') return { int: value.toString() };
  if (Array.isArray(value)) return value.map(toPython);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPython(item)]));
  }
  return value;
}

/** How to start a ToozPeer. */
export interface ToozPeerOptions {
  /** A URL Python tooz understands (`redis://…`, `etcd3+http://…`, `file:///dir`…). */
  readonly url: string;
  /** The peer's member id. */
  readonly memberId: string;
  /** Extra environment, e.g. PYTHONPATH pointing at another tooz source tree. */
  readonly env?: Readonly<Record<string, string>>;
  /** Upper bound on one answer, in ms (a hang guard). */
  readonly bound?: number;
}

/**
 * One Python tooz coordinator in a child process, driven one command at a
 * time, for interop tests of any driver. Commands (each answered in order):
 * `try_lock`, `lock`, `unlock` (name, given to tooz as bytes);
 * `try_lock_text`, `unlock_text` (name, given as str: tooz 3.1.0's redis
 * driver keys the two differently); `create`, `delete`, `leave`,
 * `members` (group); `join` (group, capabilities?); `capabilities` (group,
 * member); `groups`; `heartbeat`; `join_partitioned` (group, weight?);
 * `members_for` (group, object); `str` (object); `crash` (answers, then
 * exits without stop(): nothing is left or released, its beat key and
 * locks stay until their TTLs). Python's bytes, ints and floats come back
 * tagged (see PythonTagged).
 */
export class ToozPeer implements AsyncDisposable {
  private readonly answers: unknown[] = [];
  private readonly waiters: Array<() => void> = [];
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly bound: number,
  ) {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        this.answers.push(JSON.parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 1);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // A peer killed by its test (or dead on its own) closes the pipe before its exit is seen here:
    // a write to it then fails with EPIPE, which must not crash the test run. A command sent to a
    // dead peer fails anyway, when its answer never comes (see answer()).
    child.stdin?.on('error', (error: Error) => {
      this.stderr += `\n(stdin: ${error.message})`;
    });
  }

  /** Starts the peer; fails (never skips) when Python tooz is missing. */
  static async start(options: ToozPeerOptions): Promise<ToozPeer> {
    const child = spawn(PYTHON, [SCRIPT, options.url, options.memberId], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const peer = new ToozPeer(child, options.bound ?? 30_000);
    const ready = await peer.answer();
    if (ready !== 'ready') throw new Error(`the Python tooz peer did not start: ${JSON.stringify(ready)}`);
    return peer;
  }

  /** Runs one command; resolves with its answer, rejects with the Python error. */
  async run(command: string, ...args: unknown[]): Promise<unknown> {
    this.child.stdin?.write(`${JSON.stringify([command, ...args.map(toPython)])}\n`);
    const answer = (await this.answer()) as { ok?: unknown; error?: string };
    if (answer.error !== undefined) throw new Error(`Python tooz: ${answer.error}`);
    return answer.ok;
  }

  /** Asks the peer to stop its coordinator and exit; kills it after 5 s. Does nothing if it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end(`${JSON.stringify(['quit'])}\n`);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }

  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async answer(): Promise<unknown> {
    const until = Date.now() + this.bound;
    while (this.answers.length === 0) {
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(`the Python tooz peer did not answer (exit ${this.child.exitCode}); stderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.answers.shift();
  }
}
