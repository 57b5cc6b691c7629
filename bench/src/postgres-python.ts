/**
 * Python tooz's PostgreSQL driver against the same server, through the
 * Debian python3-tooz and python3-psycopg2 (/usr/bin/python3, not a pyenv
 * one): an uncontended acquire+release loop on one lock object.
 */
import { execFile } from 'node:child_process';

const SCRIPT = `
import sys, time
from tooz import coordination
url, seconds = sys.argv[1], float(sys.argv[2])
coordinator = coordination.get_coordinator(url, b'python-bench')
coordinator.start()
lock = coordinator.get_lock(b'python-bench-lock')
for _ in range(20):
    lock.acquire()
    lock.release()
count, start = 0, time.perf_counter()
while True:
    lock.acquire()
    lock.release()
    count += 1
    now = time.perf_counter()
    if now - start >= seconds:
        break
coordinator.stop()
print(count / (now - start))
`;

export interface PythonResult {
  readonly opsPerSecond: number | undefined;
  /** Why there is no number (python3-tooz missing, driver failure). */
  readonly skipped?: string;
}

export function pythonToozOpsPerSecond(url: string, ms: number): Promise<PythonResult> {
  const pythonUrl = url.replace(/^postgres:/, 'postgresql:');
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/python3',
      ['-c', SCRIPT, pythonUrl, String(ms / 1_000)],
      { timeout: ms + 60_000 },
      (error, stdout, stderr) => {
        const value = Number(stdout.trim().split('\n').at(-1));
        if (error || !Number.isFinite(value)) {
          const reason = (stderr.trim().split('\n').at(-1) ?? String(error)).slice(0, 200);
          resolve({ opsPerSecond: undefined, skipped: reason || 'no output' });
        } else {
          resolve({ opsPerSecond: value });
        }
      },
    );
  });
}
