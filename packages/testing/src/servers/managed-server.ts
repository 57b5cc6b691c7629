import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { releasePort } from './free-port.js';
import { type LaunchSpec, ServerProcess } from './server-process.js';
import { removeTempDir } from './temp-dir.js';
import type { ServerHandle } from './types.js';
import { type ReadinessProbe, waitUntilReady } from './wait-until-ready.js';

export interface ManagedServerOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Owned: removed on dispose. */
  readonly dir: string;
  /** Further ports claimed for this server (peer, election…), released on dispose. */
  readonly extraPorts?: readonly number[];
  /** Built on every start, so a config file can be rewritten first. */
  readonly launch: () => Promise<LaunchSpec> | LaunchSpec;
  readonly ready: ReadinessProbe;
  /** The server's graceful-shutdown signal (PostgreSQL: SIGINT, "fast" shutdown). */
  readonly stopSignal?: NodeJS.Signals;
  /** How long a graceful stop may take before SIGKILL. */
  readonly stopGraceMs?: number;
  readonly readyTimeoutMs?: number;
  /** After every successful start (e.g. to note what the new process allocated). */
  readonly onStarted?: () => Promise<void>;
  /** After the process is dead and the directory gone (e.g. to release what outlives both). */
  readonly onDisposed?: () => Promise<void>;
}

const LOG_TAIL_LINES = 40;

/** The generic handle: process lifecycle, readiness, cleanup. Each server adds its own fields. */
export class ManagedServer implements ServerHandle {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly logFile: string;
  readonly #options: ManagedServerOptions;
  #process: ServerProcess | undefined;
  #lastPid = -1;
  #paused = false;
  #disposed = false;

  constructor(options: ManagedServerOptions) {
    this.#options = options;
    this.name = options.name;
    this.host = options.host;
    this.port = options.port;
    this.url = options.url;
    this.dir = options.dir;
    this.logFile = join(options.dir, 'server.log');
  }

  get pid(): number {
    return this.#process?.pid ?? this.#lastPid;
  }

  get running(): boolean {
    return this.#process?.alive ?? false;
  }

  get paused(): boolean {
    return this.#paused && this.running;
  }

  /** Spawns the process without waiting: clusters spawn every member before any can be ready. */
  async spawn(): Promise<void> {
    if (this.#disposed) throw new Error(`${this.name}: already disposed`);
    if (this.running) throw new Error(`${this.name}: already running (pid ${this.pid})`);
    const spec = await this.#options.launch();
    this.#process = await ServerProcess.spawn(spec, this.logFile);
    this.#lastPid = this.#process.pid;
    this.#paused = false;
  }

  async waitReady(): Promise<void> {
    const proc = this.#process;
    if (!proc) throw new Error(`${this.name}: not started`);
    try {
      await waitUntilReady(this.#options.ready, {
        what: `${this.name} on ${this.host}:${this.port}`,
        exited: proc.exited,
        describeFailure: () => this.#logTail(),
        ...(this.#options.readyTimeoutMs === undefined ? {} : { timeoutMs: this.#options.readyTimeoutMs }),
      });
      await this.#options.onStarted?.();
    } catch (error) {
      await proc.killAll();
      throw error;
    }
  }

  async start(): Promise<void> {
    await this.spawn();
    await this.waitReady();
  }

  async stop(): Promise<void> {
    const proc = this.#process;
    if (!proc?.alive) return;
    // A stopped process cannot act on SIGTERM.
    if (this.#paused) await this.resume();
    proc.signal(this.#options.stopSignal ?? 'SIGTERM');
    await proc.waitForExit(this.#options.stopGraceMs ?? 15_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    const proc = this.#process;
    if (!proc?.alive) return;
    await proc.killAll();
    this.#paused = false;
  }

  async pause(): Promise<void> {
    const proc = this.#process;
    if (!proc?.alive) throw new Error(`${this.name}: not running`);
    this.#paused = true;
    await proc.suspend(true);
  }

  async resume(): Promise<void> {
    this.#paused = false;
    await this.#process?.suspend(false);
  }

  readLog(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  async #logTail(): Promise<string> {
    const lines = (await this.readLog()).trimEnd().split('\n');
    return `--- last lines of ${this.logFile} ---\n${lines.slice(-LOG_TAIL_LINES).join('\n')}`;
  }

  /** Kills the process (nothing to keep) and removes the directory and port claims. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.kill();
    await removeTempDir(this.dir);
    releasePort(this.port);
    for (const port of this.#options.extraPorts ?? []) releasePort(port);
    await this.#options.onDisposed?.();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/**
 * Starts a server and hands it over; if it does not become ready, cleans up
 * and rethrows, so a failed start leaves nothing behind either.
 */
export async function startManaged<T extends ManagedServer>(server: T): Promise<T> {
  try {
    await server.start();
    return server;
  } catch (error) {
    await server.dispose();
    throw error;
  }
}
