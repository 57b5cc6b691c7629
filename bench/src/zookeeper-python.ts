/**
 * Python tooz's zookeeper driver (Debian python3-tooz over kazoo, run by
 * /usr/bin/python3) doing the same uncontended acquire+release loop on the
 * same server. One process answers `run <seconds>` with its rate, so its
 * rounds interleave with the SDK's and the raw client's.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = `
import sys, time
from tooz import coordination
coordinator = coordination.get_coordinator(sys.argv[1], b'bench-python')
coordinator.start()
lock = coordinator.get_lock(b'bench-python')
for _ in range(50):
    lock.acquire(); lock.release()
print('ready', flush=True)
for line in sys.stdin:
    seconds = float(line.split()[1])
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        lock.acquire(); lock.release(); count += 1
    print(count / (time.perf_counter() - start), flush=True)
coordinator.stop()
`;

export interface PythonRounds {
  /** Runs one timed round in Python; resolves with its rate (per second). */
  round(ms: number): Promise<number>;
  stop(): void;
}

/** Starts Python tooz, or says why it could not. */
export async function pythonTooz(hosts: string): Promise<PythonRounds | string> {
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn('/usr/bin/python3', ['-c', SCRIPT, `zookeeper://${hosts}`]);
  } catch (error) {
    return `did not start: ${(error as Error).message}`;
  }
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string | undefined) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  child.once('exit', () => {
    for (const wake of waiting.splice(0)) wake(undefined);
  });
  const next = () => new Promise<string | undefined>((resolve) => waiting.push(resolve));
  const ready = await next();
  if (ready !== 'ready') {
    child.kill();
    return `did not run: ${stderr.trim().split('\n').at(-1) ?? 'no output'}`;
  }
  return {
    async round(ms) {
      child.stdin.write(`run ${ms / 1_000}\n`);
      const rate = Number(await next());
      if (!Number.isFinite(rate)) throw new Error(`python tooz stopped: ${stderr.trim().split('\n').at(-1) ?? ''}`);
      return rate;
    },
    stop: () => {
      child.stdin.end();
    },
  };
}
