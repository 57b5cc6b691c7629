import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The CLI from source, as the README's `tooz`: tsx with the development condition. */
const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
/** The workspace root, where tsx is installed. */
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
/** A hang guard on every wait, never a speed assertion. */
export const PATIENCE = 60_000;

export interface ToozResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const started = new Set<ToozProcess>();

/** One `tooz` process: its stdout lines as they come, its stderr, its end. */
export class ToozProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<ToozResult>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    this.child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(this);
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.lines.push(line);
      this.wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        started.delete(this);
        this.wake();
        resolve({ code, signal, stdout: this.lines.map((line) => `${line}\n`).join(''), stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The first stdout line matching, waiting up to `bound` ms; fails if tooz exits first. */
  async line(predicate: (line: string) => boolean, bound = PATIENCE): Promise<string> {
    const until = Date.now() + bound;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > until) {
        throw new Error(
          `tooz ${this.pid} printed no such line; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** The first stdout line, parsed as JSON, that matches. */
  async json<T = Record<string, unknown>>(predicate: (value: T) => boolean, bound = PATIENCE): Promise<T> {
    const line = await this.line((text) => {
      try {
        return predicate(JSON.parse(text) as T);
      } catch {
        return false;
      }
    }, bound);
    return JSON.parse(line) as T;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Its result, failing if it has not exited within `bound` ms. */
  async result(bound = PATIENCE): Promise<ToozResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`tooz ${this.pid} did not exit within ${bound} ms:\n${this.stderr}`)),
        bound,
      );
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }
}

/** Starts `tooz args...` with TOOZ_URL (and any other variables) in its environment. */
export function startTooz(
  url: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): ToozProcess {
  return new ToozProcess(args, { TOOZ_URL: url, ...env });
}

/** Runs `tooz args...` to its end. */
export function runTooz(url: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  return startTooz(url, args, env).result();
}

/** Kills every tooz still running (and so, by the process group rules of its commands, leaves them to the test). */
export async function killToozProcesses(): Promise<void> {
  for (const tooz of [...started]) {
    tooz.signal('SIGKILL');
    await tooz.exited;
  }
}
