import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/*
 * The one thing @tooz/testing's ToozPeer cannot drive: a tooz leader
 * election (`watch_elected_as_leader`, `stand_down_group_leader`). A Python
 * tooz coordinator in a child process that runs for one group and stands
 * down when told; its answers come one JSON line per command.
 */
const SCRIPT = `
import json, sys
from tooz import coordination
coord = coordination.get_coordinator(sys.argv[1], sys.argv[2].encode())
coord.start()
group = sys.argv[3].encode()
elected = []
coord.watch_elected_as_leader(group, lambda event: elected.append(True))
coord.run_watchers()
print(json.dumps(bool(elected)), flush=True)
for line in sys.stdin:
    if line.strip() == 'stand_down':
        coord.stand_down_group_leader(group)
        print(json.dumps(True), flush=True)
    else:
        break
coord.stop()
`;

export class PythonCandidate implements AsyncDisposable {
  private readonly answers: string[] = [];
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else this.answers.push(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    // A candidate that died closes the pipe: a write then fails with EPIPE, which must not crash the run.
    child.stdin.on('error', (error: Error) => {
      this.stderr += `\n(stdin: ${error.message})`;
    });
  }

  /** Runs for `group`; resolves with whether Python tooz was elected at once. */
  static async run(
    url: string,
    memberId: string,
    group: string,
  ): Promise<{ candidate: PythonCandidate; elected: boolean }> {
    const candidate = new PythonCandidate(spawn('/usr/bin/python3', ['-c', SCRIPT, url, memberId, group]));
    return { candidate, elected: JSON.parse(await candidate.answer()) as boolean };
  }

  async standDown(): Promise<void> {
    this.child.stdin.write('stand_down\n');
    await this.answer();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('stop\n');
    await exited;
  }

  private answer(): Promise<string> {
    const ready = this.answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`python tooz did not answer: ${this.stderr}`)), 30_000);
      this.child.once('exit', () => reject(new Error(`python tooz exited: ${this.stderr}`)));
      this.waiting.push((line) => {
        clearTimeout(guard);
        resolve(line);
      });
    });
  }
}
