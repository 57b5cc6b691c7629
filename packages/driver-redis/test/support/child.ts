import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface ChildEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A TypeScript fixture in its own node process (the SDK from source), reporting JSON lines. */
export class ChildProcessFixture {
  readonly events: ChildEvent[] = [];
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(fixture: string, args: readonly string[]) {
    this.process = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', `${FIXTURES}${fixture}`, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent);
      } catch {
        return;
      }
      for (const wake of [...this.waiters]) wake();
    });
    this.process.on('exit', () => {
      for (const wake of [...this.waiters]) wake();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** The first event matching, waiting up to `bound` ms (a hang guard). */
  next(predicate: (event: ChildEvent) => boolean, bound = 30_000): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (this.process.exitCode !== null || this.process.signalCode !== null) {
          done();
          reject(new Error(`the child exited; events: ${JSON.stringify(this.events)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching event within ${bound} ms; events: ${JSON.stringify(this.events)}`));
      }, bound);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGCONT');
    this.process.kill('SIGKILL');
    await exited;
  }
}
