import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NetnsHost } from '../servers/netns-host.js';
import type { LaunchSpec } from '../servers/server-process.js';
import { type CheckHistoryOptions, checkHistory, type HistoryReport } from './checker.js';
import { type HistoryEntry, monotonicNow, parseHistoryEntry } from './entry.js';
import { continueProcess, stopProcess } from './process-control.js';
import { parseHistory, readHistory } from './read.js';
import { HistoryRecorder } from './recorder.js';
import { HISTORY_WORKER_ENV, type HistoryWorkerConfig, READY_LINE } from './worker-config.js';

/** Run from source (vitest, tsx) the worker is TypeScript; from dist it is JavaScript. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The worker script (`worker.ts` from source, `worker.js` once built). */
export const HISTORY_WORKER_SCRIPT = fileURLToPath(
  new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url),
);

/** Options of `startHistoryWorkers`. */
export interface HistoryWorkersOptions {
  /** The backend URL every worker connects to. */
  readonly url: string;
  /** Number of workers (default 3), named `worker-1`... unless `names` is given. */
  readonly count?: number;
  /** Member ids (and history names) of the workers; overrides `count`. */
  readonly names?: readonly string[];
  /** Where the history files go (default: a new temporary directory, removed on dispose). */
  readonly directory?: string;
  /** ms: core's `ttl` for every worker. */
  readonly ttl?: number;
  /** core's `namespace` for every worker (default: core's, `tooz`). */
  readonly namespace?: string;
  /** The lock (default `history-lock`); false for none. */
  readonly lock?: string | false;
  /** The leadership (default `history-leadership`); false for none. */
  readonly leadership?: string | false;
  /** Acquisitions per worker at most (default 1000: `duration` is the usual bound). */
  readonly rounds?: number;
  /** ms each worker runs before it winds down (default 5000). */
  readonly duration?: number;
  /** ms one acquire waits at most (default 2000). */
  readonly wait?: number;
  /** Protected writes per hold (default 3). */
  readonly writes?: number;
  /** ms between writes (default 20). */
  readonly writeInterval?: number;
  /** ms between a release and the next acquire (default 10). */
  readonly pauseBetween?: number;
  /** Leader writes per term before standing down (default 5; 0: never). */
  readonly leaderWrites?: number;
  /** ms between leader writes (default 50). */
  readonly leaderWriteInterval?: number;
  /**
   * The workers' working directory (default: this process's). `connect(url)`
   * loads `@tooz/driver-<scheme>` from there when it cannot from core's own
   * location, so a driver's test passes its package directory.
   */
  readonly cwd?: string;
  /** Extra environment for the workers. */
  readonly env?: Readonly<Record<string, string>>;
  /** Another worker script (it gets the same configuration); default `HISTORY_WORKER_SCRIPT`. */
  readonly script?: string;
  /** Node options for the workers; default `--conditions=development --import tsx` for a `.ts` script, none for `.js`. */
  readonly execArgv?: readonly string[];
  /** Keep the history files on dispose (default: kept only when `directory` was given). */
  readonly keepFiles?: boolean;
  /**
   * Network-namespace hosts, one per worker in order (see netns.ts): worker
   * `i` runs on `hosts[i]` (spawned through `host.wrap`), so that
   * `worker.partition()` can cut its connections off. The server must run in
   * the same namespace (`startPostgres({ netns })`...): `url` is the one it
   * gives, valid inside only.
   */
  readonly hosts?: readonly NetnsHost[];
}

/** A real partition of a worker's host, from the moment its rules were in place until they were removed. */
export interface WorkerPartition {
  /** The worker's member id. */
  readonly process: string;
  /** When the rules were in place (ns on the history clock). */
  readonly from: bigint;
  /** Undefined while it lasts. */
  readonly to: bigint | undefined;
}

/** How a worker process ended. */
export interface WorkerExit {
  /** The worker's member id. */
  readonly memberId: string;
  /** Its exit code; null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
}

/** One worker process. */
export class HistoryWorker {
  /** The child process. */
  readonly process: ChildProcess;
  /** Resolves when the process exits, however it does. */
  readonly exited: Promise<WorkerExit>;
  /** Resolves once the worker has connected (rejects if it exits first). */
  readonly ready: Promise<void>;
  private stderrText = '';

  constructor(
    /** Its member id, also its process name in the history. */
    readonly memberId: string,
    /** Its history file. */
    readonly file: string,
    child: ChildProcess,
    private readonly harness: HistoryWorkers,
    onEntry: (entry: HistoryEntry) => void,
    /** The network-namespace host it runs on, if any (`hosts` option). */
    readonly host: NetnsHost | undefined = undefined,
  ) {
    this.process = child;
    let markReady: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ memberId, code, signal: signal as NodeJS.Signals | null })),
    );
    this.ready = Promise.race([
      connected,
      this.exited.then((exit) => {
        throw new Error(
          `history worker ${memberId} exited (${exit.signal ?? exit.code}) before connecting:\n${this.stderr}`,
        );
      }),
    ]);
    this.ready.catch(() => undefined);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-20_000);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === READY_LINE) return markReady();
      try {
        onEntry(parseHistoryEntry(line));
      } catch {
        // Not a history line (a stray log): the file is the record anyway.
      }
    });
  }

  /** The child's pid (-1 if it failed to spawn). */
  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** What the worker wrote on stderr (the last 20 kB). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Whether the process has not exited yet (a stopped one is running). */
  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Its history as written to its file so far (authoritative; the live view may lag). */
  history(): HistoryEntry[] {
    return parseHistory(readFileSync(this.file, 'utf8'));
  }

  /** Whether, by its file, it holds `resource` now (its last entry there is an acquire, a leader or a write). */
  holds(resource: string): boolean {
    const last = this.history()
      .filter((entry) => entry.resource === resource)
      .at(-1);
    return last !== undefined && (last.kind === 'acquire' || last.kind === 'leader' || last.kind === 'write');
  }

  /** SIGSTOP; resolves once it has stopped, then records `paused`. */
  async pause(): Promise<void> {
    await stopProcess(this.pid);
    this.harness.controller.record('paused', { process: this.memberId, detail: `SIGSTOP pid ${this.pid}` });
  }

  /** Records `resumed`, then SIGCONT; resolves once it runs again. */
  async resume(): Promise<void> {
    this.harness.controller.record('resumed', { process: this.memberId, detail: `SIGCONT pid ${this.pid}` });
    await continueProcess(this.pid);
  }

  /** Whether its host is partitioned now. */
  get partitioned(): boolean {
    return this.host?.partitioned ?? false;
  }

  /**
   * Cuts its host off (every packet of its connections dropped, both ways,
   * new connections too); resolves once the rules are in place. The process
   * runs on: unlike a pause, nothing is recorded in the history, since a
   * partitioned worker can still read its own deadline and must be told
   * before anyone else acquires (an overlap counts as unsignalled). The
   * window is kept in the harness's `partitions`.
   */
  async partition(): Promise<void> {
    const host = this.#host('partition');
    if (host.partitioned) return;
    await host.partition();
    this.harness.partitions.push({ process: this.memberId, from: monotonicNow(), to: undefined });
  }

  /** Lets its packets through again; resolves once the rules are gone. */
  async heal(): Promise<void> {
    const host = this.#host('heal');
    if (!host.partitioned) return;
    await host.heal();
    const partitions = this.harness.partitions;
    const index = partitions.findLastIndex((p) => p.process === this.memberId && p.to === undefined);
    const open = partitions[index];
    if (open) partitions[index] = { ...open, to: monotonicNow() };
  }

  #host(what: string): NetnsHost {
    if (!this.host)
      throw new Error(`history worker ${this.memberId} runs on no network-namespace host: cannot ${what}`);
    return this.host;
  }

  /** Records `killed`, sends the signal (default SIGKILL) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<WorkerExit> {
    if (!this.running) return this.exited;
    this.harness.controller.record('killed', { process: this.memberId, detail: `${signal} pid ${this.pid}` });
    this.process.kill(signal);
    if (signal !== 'SIGKILL') this.process.kill('SIGCONT');
    return this.exited;
  }
}

/** Workers started by `startHistoryWorkers`, their history files and the harness's own record. */
export class HistoryWorkers implements AsyncDisposable {
  /** The workers, in the order of `names` (or `worker-1`...). */
  readonly workers: readonly HistoryWorker[];
  /** The harness's recorder (file `harness.jsonl`): `paused`, `resumed`, `killed` of the workers. */
  readonly controller: HistoryRecorder;
  /** Entries as the workers print them (live, may lag their files by a moment). */
  readonly live: HistoryEntry[] = [];
  /** Every `worker.partition()` so far, in order, with its window on the history clock. */
  readonly partitions: WorkerPartition[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    /** Where the history files are. */
    readonly directory: string,
    private readonly options: HistoryWorkersOptions,
    private readonly ownsDirectory: boolean,
  ) {
    this.controller = new HistoryRecorder({ process: 'harness', output: join(directory, 'harness.jsonl') });
    const names =
      options.names ?? Array.from({ length: options.count ?? 3 }, (_unused, index) => `worker-${index + 1}`);
    const script = options.script ?? HISTORY_WORKER_SCRIPT;
    const execArgv =
      options.execArgv ?? (script.endsWith('.ts') ? ['--conditions=development', '--import', 'tsx'] : []);
    if (options.hosts && options.hosts.length < names.length) {
      throw new Error(`history workers: ${names.length} workers but ${options.hosts.length} hosts`);
    }
    this.workers = names.map((memberId, index) => {
      const file = join(directory, `${memberId}.jsonl`);
      const config: HistoryWorkerConfig = {
        url: options.url,
        memberId,
        output: file,
        ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        lock: options.lock === false ? null : (options.lock ?? 'history-lock'),
        leadership: options.leadership === false ? null : (options.leadership ?? 'history-leadership'),
        rounds: options.rounds ?? 1000,
        duration: options.duration ?? 5000,
        wait: options.wait ?? 2000,
        writes: options.writes ?? 3,
        writeInterval: options.writeInterval ?? 20,
        pauseBetween: options.pauseBetween ?? 10,
        leaderWrites: options.leaderWrites ?? 5,
        leaderWriteInterval: options.leaderWriteInterval ?? 50,
      };
      const host = options.hosts?.[index];
      // nsenter enters the namespace, takes the host's group id, then execs node: the worker's pid is the child's.
      const spec: LaunchSpec = { command: process.execPath, args: [...execArgv, script] };
      const launch = host ? host.wrap(spec) : spec;
      const child = spawn(launch.command, launch.args, {
        cwd: options.cwd ?? process.cwd(),
        env: { ...process.env, ...options.env, [HISTORY_WORKER_ENV]: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const onEntry = (entry: HistoryEntry) => {
        this.live.push(entry);
        for (const wake of [...this.waiters]) wake();
      };
      return new HistoryWorker(memberId, file, child, this, onEntry, host);
    });
    for (const worker of this.workers) {
      void worker.exited.then(() => {
        for (const wake of [...this.waiters]) wake();
      });
    }
  }

  /** The worker with this member id. */
  worker(memberId: string): HistoryWorker {
    const found = this.workers.find((worker) => worker.memberId === memberId);
    if (!found) throw new Error(`no history worker ${memberId}`);
    return found;
  }

  /** Resolves once every worker has connected. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.ready));
  }

  /**
   * The first live entry matching, from index `from` of `live` on, within
   * `bound` ms (a hang guard, never a timing assertion).
   */
  waitFor(predicate: (entry: HistoryEntry) => boolean, bound = 20_000, from = 0): Promise<HistoryEntry> {
    let next = from;
    return new Promise((resolve, reject) => {
      const seen = () => {
        for (; next < this.live.length; next++) {
          const entry = this.live[next] as HistoryEntry;
          if (predicate(entry)) return entry;
        }
        return undefined;
      };
      const check = () => {
        const found = seen();
        if (found) {
          done();
          resolve(found);
        } else if (this.workers.every((worker) => !worker.running)) {
          done();
          reject(new Error(`every history worker exited before a matching entry\n${this.stderrs()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching history entry within ${bound} ms\n${this.stderrs()}`));
      }, bound);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Stops (SIGSTOP) a worker that holds `resource` and resolves with it: it
   * waits for an acquire (or a leader term), stops its process, and checks in
   * the worker's file that the hold was not over before the stop; if it was,
   * it continues it and tries again. `except` skips workers (e.g. one
   * already paused or killed).
   */
  pauseHolder(
    resource: string,
    options: { bound?: number; except?: readonly HistoryWorker[] } = {},
  ): Promise<HistoryWorker> {
    return this.catchHolder(
      resource,
      'paused',
      options,
      (worker) => worker.pause(),
      (worker) => worker.resume(),
    );
  }

  /**
   * Partitions the host of a worker that holds `resource` and resolves with
   * the worker (its host stays cut off until `worker.heal()`): it waits for
   * an acquire (or a leader term) by a worker on a host, partitions that
   * host, and checks in the worker's file that the hold was not over before
   * the rules were in place; if it was, it heals and tries again. Needs the
   * `hosts` option.
   */
  partitionHolder(
    resource: string,
    options: { bound?: number; except?: readonly HistoryWorker[] } = {},
  ): Promise<HistoryWorker> {
    const hostless = this.workers.filter((worker) => !worker.host);
    return this.catchHolder(
      resource,
      'partitioned',
      { ...options, except: [...(options.except ?? []), ...hostless] },
      (worker) => worker.partition(),
      (worker) => worker.heal(),
    );
  }

  private async catchHolder(
    resource: string,
    what: string,
    options: { bound?: number; except?: readonly HistoryWorker[] },
    act: (worker: HistoryWorker) => Promise<void>,
    undo: (worker: HistoryWorker) => Promise<void>,
  ): Promise<HistoryWorker> {
    const deadline = Date.now() + (options.bound ?? 20_000);
    const except = new Set(options.except ?? []);
    let from = this.live.length;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no worker could be ${what} while holding ${resource}\n${this.stderrs()}`);
      const start = await this.waitFor(
        (entry) =>
          entry.resource === resource &&
          (entry.kind === 'acquire' || entry.kind === 'leader') &&
          !except.has(this.worker(entry.process)),
        left,
        from,
      );
      from = this.live.lastIndexOf(start) + 1;
      const worker = this.worker(start.process);
      if (!worker.running) continue;
      await act(worker);
      if (worker.holds(resource)) return worker;
      await undo(worker);
    }
  }

  /** Waits (at most `bound` ms) for every worker to exit, then resolves with how each did. */
  async finished(bound = 30_000): Promise<WorkerExit[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const running = this.workers.filter((worker) => worker.running).map((worker) => worker.memberId);
        reject(new Error(`history workers still running after ${bound} ms: ${running.join(', ')}\n${this.stderrs()}`));
      }, bound);
    });
    try {
      return await Promise.race([Promise.all(this.workers.map((worker) => worker.exited)), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every history file (the workers' and the harness's), merged. */
  history(): Promise<HistoryEntry[]> {
    return readHistory(this.directory);
  }

  /** `checkHistory` over the merged files, for the lock by default. */
  async check(resource?: string, options: Omit<CheckHistoryOptions, 'resource'> = {}): Promise<HistoryReport> {
    const name = resource ?? (this.options.lock === false ? undefined : (this.options.lock ?? 'history-lock'));
    return checkHistory(await this.history(), { ...options, ...(name !== undefined ? { resource: name } : {}) });
  }

  /** `checkHistory` over the merged files, for the leadership. */
  checkLeadership(): Promise<HistoryReport> {
    const name = this.options.leadership === false ? undefined : (this.options.leadership ?? 'history-leadership');
    if (name === undefined) throw new Error('these workers stand for no leadership');
    return this.check(name);
  }

  private stderrs(): string {
    return this.workers
      .filter((worker) => worker.stderr)
      .map((worker) => `--- ${worker.memberId} stderr:\n${worker.stderr}`)
      .join('\n');
  }

  /** Kills every worker still running (continuing stopped ones first), closes the record, removes temporary files. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(
      this.workers
        .filter((worker) => worker.running)
        .map((worker) => {
          worker.process.kill('SIGKILL');
          return worker.exited;
        }),
    );
    await this.controller.close();
    if (this.ownsDirectory && !this.options.keepFiles) rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * Starts history workers: each connects to `url` with its own member id
 * and records to `<directory>/<memberId>.jsonl` while it takes turns on a
 * lock and stands for a leadership (see worker.ts). Dispose it (`await
 * using`) to kill what is left and remove the files.
 *
 * @example
 * await using workers = await startHistoryWorkers({ url, ttl: 1000, cwd: packageDir });
 * const stopped = await workers.pauseHolder('history-lock');
 * await sleep(3_000); await stopped.resume();
 * // With `hosts` (workers inside a network namespace, with the server):
 * const cut = await workers.partitionHolder('history-lock');
 * await sleep(3_000); await cut.heal();
 * await workers.finished();
 * expect((await workers.check()).counts).toMatchObject({ unsignalledOverlaps: 0, staleWrites: 0 });
 */
export async function startHistoryWorkers(options: HistoryWorkersOptions): Promise<HistoryWorkers> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'tooz-history-'));
  const workers = new HistoryWorkers(directory, options, options.directory === undefined);
  try {
    await workers.ready();
  } catch (error) {
    await workers[Symbol.asyncDispose]();
    throw error;
  }
  return workers;
}
