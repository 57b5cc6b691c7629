import { type ChildProcess, spawn } from 'node:child_process';
import { EXIT, signalExitCode } from './exit-codes.js';

/** Every command still running, so that a forced exit can kill them rather than leave them unprotected. */
const running = new Set<ChildCommand>();

/** SIGKILLs every command still running: tooz is about to exit without them. */
export function killAllCommands(): void {
  for (const command of running) command.signal('SIGKILL');
}

/**
 * The user's command, run with tooz's stdin, stdout and stderr, in tooz's
 * process group (so it can read the terminal and a terminal's Ctrl-C reaches
 * it too). `status` resolves with its exit status as a shell reports it: its
 * exit code, or 128 + the number of the signal that ended it; 127 if it
 * could not be found and 126 if it could not be run.
 */
export class ChildCommand {
  readonly status: Promise<number>;
  /** Set once `stop()` was called: the command did not end on its own. */
  stopped = false;
  private readonly child: ChildProcess;
  private ended = false;

  constructor(argv: readonly string[], env: Readonly<Record<string, string>>, onSpawnError: (message: string) => void) {
    const [file = '', ...args] = argv;
    this.child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    running.add(this);
    this.status = new Promise<number>((resolve) => {
      const end = (status: number) => {
        if (this.ended) return;
        this.ended = true;
        running.delete(this);
        resolve(status);
      };
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        // Only a failed spawn leaves the child without an exit; a failed kill() is reported here too.
        if (this.child.pid !== undefined) return;
        onSpawnError(`cannot run ${file}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`);
        end(error.code === 'ENOENT' ? EXIT.notFound : EXIT.notExecutable);
      });
      this.child.once('exit', (code, signal) => end(signal ? signalExitCode(signal) : (code ?? EXIT.failure)));
    });
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Sends a signal if the command still runs (a forwarded Ctrl-C, a supervisor's stop). */
  signal(signal: NodeJS.Signals): void {
    if (!this.ended) this.child.kill(signal);
  }

  /** SIGTERM now, SIGKILL if it still runs after `grace` ms; resolves with its status once it has exited. */
  stop(grace: number): Promise<number> {
    if (!this.stopped && !this.ended) {
      this.stopped = true;
      this.signal('SIGTERM');
      const killer = setTimeout(() => this.signal('SIGKILL'), grace);
      void this.status.finally(() => clearTimeout(killer));
    }
    return this.status;
  }
}
