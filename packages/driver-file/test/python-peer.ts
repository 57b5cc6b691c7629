import { type ChildProcess, spawn } from 'node:child_process';

/** Debian's python3, where python3-tooz is installed (not a pyenv one on PATH). */
const PYTHON = '/usr/bin/python3';
const PEER = new URL('./fixtures/tooz_peer.py', import.meta.url).pathname;

/** A Python tooz coordinator on the file driver, driven one command at a time. */
export class PythonPeer {
  private readonly answers: unknown[] = [];
  private readonly waiters: Array<() => void> = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
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
  }

  /** Starts a peer on `file://<directory>` (tooz's DIRECTORY is our directory plus namespace). */
  static async start(directory: string, memberId: string): Promise<PythonPeer> {
    const child = spawn(PYTHON, [PEER, `file://${directory}`, memberId], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new PythonPeer(child);
    const ready = await peer.answer();
    if (ready !== 'ready') throw new Error(`python tooz peer failed to start: ${JSON.stringify(ready)}`);
    return peer;
  }

  /** Sends one command; resolves with its answer, rejects on a Python error. */
  async run(...command: unknown[]): Promise<unknown> {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
    const answer = await this.answer();
    if (answer && typeof answer === 'object' && 'error' in answer) throw new Error(String(answer.error));
    return answer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.stdin?.end(`${JSON.stringify(['quit'])}\n`);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }

  private async answer(bound = 30_000): Promise<unknown> {
    const until = Date.now() + bound;
    while (this.answers.length === 0) {
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(`python tooz peer did not answer (exit ${this.child.exitCode}); stderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.answers.shift();
  }
}
