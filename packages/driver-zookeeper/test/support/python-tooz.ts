import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/**
 * A Python tooz coordinator in a child process (Debian's python3-tooz and
 * kazoo, through /usr/bin/python3), driven one JSON command per line. For
 * checking that TypeScript and Python services share one ZooKeeper.
 */
const SCRIPT = `
import json, sys
from tooz import coordination
coord = coordination.get_coordinator(sys.argv[1], sys.argv[2].encode())
coord.start()
locks = {}
elected = []
def reply(value):
    print(json.dumps(value), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd['op']
    try:
        if op == 'join':
            coord.join_group(cmd['group'].encode(), capabilities=cmd['caps']).get()
            reply(True)
        elif op == 'leave':
            coord.leave_group(cmd['group'].encode()).get()
            reply(True)
        elif op == 'members':
            reply(sorted(m.decode() for m in coord.get_members(cmd['group'].encode()).get()))
        elif op == 'try_lock':
            lock = locks.setdefault(cmd['name'], coord.get_lock(cmd['name'].encode()))
            reply(lock.acquire(blocking=False))
        elif op == 'unlock':
            reply(locks[cmd['name']].release())
        elif op == 'elect':
            coord.watch_elected_as_leader(cmd['group'].encode(), lambda event: elected.append(event.group_id.decode()))
            coord.run_watchers()
            reply(cmd['group'] in elected)
        elif op == 'stand_down':
            coord.stand_down_group_leader(cmd['group'].encode())
            reply(True)
        elif op == 'stop':
            coord.stop()
            reply(True)
            break
    except Exception as error:
        reply({'error': type(error).__name__ + ': ' + str(error)})
`;

export class PythonTooz {
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  static start(url: string, memberId: string): PythonTooz {
    return new PythonTooz(spawn('/usr/bin/python3', ['-c', SCRIPT, url, memberId]));
  }

  async call<T = unknown>(command: Record<string, unknown>): Promise<T> {
    const line = await new Promise<string>((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`python tooz did not answer ${JSON.stringify(command)}: ${this.stderr}`)),
        30_000,
      );
      this.pending.push((answer) => {
        clearTimeout(guard);
        resolve(answer);
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
    const value = JSON.parse(line) as T | { error: string };
    if (value && typeof value === 'object' && 'error' in value) throw new Error(`python tooz: ${value.error}`);
    return value as T;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call({ op: 'stop' }).catch(() => this.child.kill());
    await exited;
  }
}
