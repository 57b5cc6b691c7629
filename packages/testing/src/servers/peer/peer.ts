import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitUntil } from '../../wait-until.js';
import { trackProcessGroup, untrackProcessGroup } from '../cleanup-registry.js';
import type { NetnsHost } from '../netns-host.js';
import type { LaunchSpec } from '../server-process.js';
import type { PeerCommand, PeerReport } from './peer-protocol.js';

/** Options of `startPeer` and `Peer.start`. */
export interface PeerOptions {
  /** The driver module the peer imports: a file path or `file:` URL, e.g. `new URL('../src/index.ts', import.meta.url)`. */
  readonly driver: string | URL;
  /** The backend URL; its scheme is registered for that driver. */
  readonly url: string;
  /** `connect()`'s options (memberId, namespace, ttl, the driver's own): JSON values only. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The namespace host to run on (so it can be partitioned); the test's own network when absent. */
  readonly host?: NetnsHost;
  /** Bound on the start and on each command's answer (default 30 s): a hang guard. */
  readonly boundMs?: number;
}

/** A report, with its moment as a bigint: CLOCK_MONOTONIC nanoseconds, comparable across peers. */
export type PeerEvent = PeerReport & {
  /** Its order among this peer's reports, from 0. */
  readonly seq: number;
  /** When the peer saw it: CLOCK_MONOTONIC nanoseconds. */
  readonly at: bigint;
};

type Child = ChildProcessByStdio<Writable, Readable, Readable>;
/** A command before it is numbered (distributed over the union, so each command keeps its own fields). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

const DEFAULT_BOUND_MS = 30_000;
const STDERR_TAIL = 4_000;

/**
 * A coordinator in a child process (peer-main.ts), driven by the test: the
 * way to put clients inside a network namespace (`options.host`) and cut
 * one off for real. Everything it sees is recorded in `events`, in its own
 * order and stamped on the machine's monotonic clock, so a test asserts on
 * the order of what different peers saw (one reported `lost` before the
 * other was granted), never on durations.
 */
export class Peer implements AsyncDisposable {
  readonly #child: Child;
  readonly #events: PeerEvent[] = [];
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  readonly #bound: number;
  #stderr = '';
  #nextId = 1;
  #alive = true;

  private constructor(
    child: Child,
    /** The peer's process id. */
    readonly pid: number,
    /** Its member id (or host name, or `peer-<pid>`), used in failure messages. */
    readonly name: string,
    bound: number,
  ) {
    this.#child = child;
    this.#bound = bound;
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        if (line.trim() !== '') this.#record(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    // A command written as the peer dies fails with EPIPE: its exit rejects the command instead.
    child.stdin.on('error', () => undefined);
    // 'close', not 'exit': every report it wrote has been read by then.
    this.#exited = new Promise((resolve) =>
      child.once('close', () => {
        this.#alive = false;
        untrackProcessGroup(pid);
        for (const { reject } of this.#pending.values()) reject(this.#failure('exited'));
        this.#pending.clear();
        resolve();
      }),
    );
  }

  /** Spawns a peer and resolves once it has connected; a peer that fails to connect is killed and the error names it. */
  static async start(options: PeerOptions): Promise<Peer> {
    const here = fileURLToPath(import.meta.url);
    const main = fileURLToPath(new URL(`./peer-main${extname(here)}`, import.meta.url));
    // Run from sources (tests): the workspace's `development` condition and tsx, as vitest does.
    const loader = main.endsWith('.ts') ? ['--conditions=development', '--import', 'tsx'] : [];
    const driver = options.driver instanceof URL ? options.driver.href : pathToFileURL(options.driver).href;
    const spec: LaunchSpec = {
      command: process.execPath,
      args: [...loader, main, driver, options.url, JSON.stringify(options.options ?? {})],
    };
    const launch = options.host ? options.host.wrap(spec) : spec;
    const child = spawn(launch.command, launch.args, {
      // tsx is found from the package's directory.
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? -1));
      child.once('error', (error) => reject(new Error(`cannot start a peer: ${error.message}`)));
    });
    trackProcessGroup(pid);
    const name = String(options.options?.memberId ?? options.host?.name ?? `peer-${pid}`);
    const peer = new Peer(child, pid, name, options.boundMs ?? DEFAULT_BOUND_MS);
    try {
      await peer.waitFor((event) => event.kind === 'ready', 'connected');
    } catch (error) {
      await peer.kill();
      throw error;
    }
    return peer;
  }

  /** Everything reported so far, in the peer's order. */
  get events(): readonly PeerEvent[] {
    return this.#events;
  }

  /** Whether the process has not exited yet. */
  get alive(): boolean {
    return this.#alive;
  }

  /** The last few kilobytes of the peer's stderr, for failure messages. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Subscribes the lock (resolves once subscribed, not once held: wait for the `lock` report). */
  lock(name: string, options: { ttl?: number; wait?: number } = {}): Promise<void> {
    return this.#send({ op: 'lock', name, ...options });
  }

  /** Unsubscribes the lock: releases it, or gives up waiting. */
  unlock(name: string): Promise<void> {
    return this.#send({ op: 'unlock', name });
  }

  /** Becomes a candidate (resolves once subscribed: wait for the `leadership` report). */
  lead(group: string): Promise<void> {
    return this.#send({ op: 'lead', group });
  }

  /** Withdraws the candidacy (stands down if leading). */
  resign(group: string): Promise<void> {
    return this.#send({ op: 'resign', group });
  }

  /** Creates the group if needed and joins it (resolves once subscribed: wait for the `membership` report). */
  join(group: string, capabilities?: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#send({ op: 'join', group, ...(capabilities ? { capabilities } : {}) });
  }

  /** Leaves the group. */
  leave(group: string): Promise<void> {
    return this.#send({ op: 'leave', group });
  }

  /** The first event (already recorded or still to come) that satisfies `predicate`, waited for within the bound. */
  async waitFor(predicate: (event: PeerEvent) => boolean, what: string, bound = this.#bound): Promise<PeerEvent> {
    const found = () => this.#events.find(predicate);
    await waitUntil(() => found() !== undefined || !this.#alive, bound, `${this.name}: ${what}`).catch(
      (error: unknown) => {
        throw this.#failure(`no ${what}`, error);
      },
    );
    const event = found();
    if (!event) throw this.#failure(`exited before ${what}`);
    return event;
  }

  /** Closes the coordinator (releasing what it holds), then the process exits. */
  async close(): Promise<void> {
    if (!this.#alive) return;
    await this.#send({ op: 'close' }).catch(() => undefined);
    await this.#waitExit();
  }

  /** SIGKILL: the peer vanishes without a word (its server sessions end when the server notices). */
  async kill(): Promise<void> {
    if (this.#alive) this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** Same as `kill()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }

  #send(command: Unnumbered<PeerCommand>): Promise<void> {
    if (!this.#alive) return Promise.reject(this.#failure('not running'));
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(this.#failure(`no answer to ${command.op} within ${this.#bound} ms`));
      }, this.#bound);
      this.#pending.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#child.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  #record(line: string): void {
    let parsed: PeerReport & { seq: number; at: string };
    try {
      parsed = JSON.parse(line) as PeerReport & { seq: number; at: string };
    } catch {
      // Not a report (a stray console.log in the driver): kept with stderr for the failure message.
      this.#stderr = `${this.#stderr}${line}\n`.slice(-STDERR_TAIL);
      return;
    }
    const event = { ...parsed, at: BigInt(parsed.at) } as PeerEvent;
    this.#events.push(event);
    if (event.kind === 'ack' || event.kind === 'failed') {
      const pending = this.#pending.get(event.id);
      this.#pending.delete(event.id);
      if (event.kind === 'ack') pending?.resolve();
      else pending?.reject(this.#failure(`command failed: ${event.error}`));
    }
  }

  async #waitExit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#bound);
    });
    const how = await Promise.race([this.#exited, outOfTime]);
    clearTimeout(timer);
    if (how === 'late') await this.kill();
  }

  #failure(what: string, cause?: unknown): Error {
    const tail = this.#stderr.trim() ? `\n--- stderr ---\n${this.#stderr.trim()}` : '';
    return new Error(`peer ${this.name}: ${what}${tail}`, cause === undefined ? {} : { cause });
  }
}

/** Starts a peer and waits until its coordinator is connected. */
export function startPeer(options: PeerOptions): Promise<Peer> {
  return Peer.start(options);
}
