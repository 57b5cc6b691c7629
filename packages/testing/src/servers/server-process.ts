import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { trackProcessGroup, untrackProcessGroup } from './cleanup-registry.js';
import type { OsUser } from './os-user.js';
import { isProcessAlive } from './process-alive.js';
import { descendantsOf, signalTree, treeSettled } from './process-tree.js';

/** How to launch a server once; built afresh for every start. */
export interface LaunchSpec {
  /** The executable. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Working directory (default: this process's). */
  readonly cwd?: string;
  /** The whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this OS user (when the tests run as root). */
  readonly user?: OsUser;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One spawned server process, leader of its own process group so that a
 * signal reaches its helpers too (PostgreSQL backends serve connections,
 * not the postmaster: pausing or killing only the postmaster would leave
 * clients talking to a live server).
 */
export class ServerProcess {
  readonly pid: number;
  /** Resolves on exit; does not keep the event loop alive (use waitExit() for that). */
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  #alive = true;

  private constructor(child: ChildProcess, pid: number, exited: Promise<ExitStatus>) {
    this.#child = child;
    this.pid = pid;
    this.exited = exited;
    void exited.then(() => {
      this.#alive = false;
      untrackProcessGroup(pid);
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  static async spawn(spec: LaunchSpec, logFile: string): Promise<ServerProcess> {
    const log = openSync(logFile, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ['ignore', log, log],
        ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid ?? -1));
        child.once('error', (error) => reject(new Error(`cannot start ${spec.command}: ${error.message}`)));
      });
      trackProcessGroup(pid);
      const exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      // A forgotten handle must not keep the test process alive; the exit handlers kill it.
      child.unref();
      return new ServerProcess(child, pid, exited);
    } finally {
      closeSync(log);
    }
  }

  /** Waits for exit, holding the event loop open meanwhile (the child is unref'd otherwise). */
  async waitExit(): Promise<ExitStatus> {
    this.#child.ref();
    try {
      return await this.exited;
    } finally {
      this.#child.unref();
    }
  }

  /** Signals the main process only (graceful shutdown is the main process's job). */
  signal(signal: NodeJS.Signals): void {
    if (!this.#alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Exited meanwhile.
    }
  }

  /**
   * Signals the whole server: its process group and every descendant while
   * it runs (see process-tree.ts); once it exited, only what is left of its
   * group (its PID may already belong to someone else, its children not).
   */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.#alive) {
      signalTree(this.pid, signal);
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is empty: every member has exited.
    }
  }

  /** Stops (SIGSTOP) or continues (SIGCONT) the whole server and waits until every thread has. */
  async suspend(stopped: boolean, boundMs = 10_000): Promise<void> {
    this.signalGroup(stopped ? 'SIGSTOP' : 'SIGCONT');
    const deadline = Date.now() + boundMs;
    while (this.#alive && !treeSettled(this.pid, stopped)) {
      if (Date.now() > deadline) throw new Error(`pid ${this.pid} did not ${stopped ? 'stop' : 'continue'}`);
      // Threads get there within microseconds to milliseconds; re-signal stragglers forked meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2));
      this.signalGroup(stopped ? 'SIGSTOP' : 'SIGCONT');
    }
  }

  /**
   * SIGKILL to the whole server; resolves once the leader and every
   * descendant are dead (backends too: until they are, PostgreSQL's
   * shared memory stays attached and cannot be released).
   */
  async killAll(boundMs = 10_000): Promise<void> {
    const descendants = this.#alive ? descendantsOf(this.pid) : [];
    this.signalGroup('SIGKILL');
    await this.waitExit();
    const deadline = Date.now() + boundMs;
    while (descendants.some(isProcessAlive) && Date.now() < deadline) {
      for (const pid of descendants.filter(isProcessAlive)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Died meanwhile.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Waits for exit, escalating to SIGKILL of the group after graceMs. */
  async waitForExit(graceMs: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([this.waitExit(), timeout]);
    clearTimeout(timer);
    if (first === 'timeout') this.signalGroup('SIGKILL');
    const status = await this.waitExit();
    // Helpers that outlive their leader (a backend finishing a query) go too.
    this.signalGroup('SIGKILL');
    return status;
  }
}
