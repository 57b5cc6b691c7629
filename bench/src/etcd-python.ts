/**
 * Python tooz's etcd3gw driver (Debian's python3-tooz, through /usr/bin/python3)
 * on the same etcd: uncontended acquire+release per second. Debian's tooz
 * 3.1.0 cannot construct its etcd3gw driver with etcd3gw 2.0.0 (TOOZ.md: the
 * module-level `etcd3gw.client()` rejects `api_path`); a two-line shim hands
 * the call to `Etcd3Client`, which accepts it. etcd 3.4 serves the JSON
 * gateway at /v3/, hence `api_version=v3`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const SCRIPT = `
import sys, time
import etcd3gw
from etcd3gw.client import Etcd3Client
etcd3gw.client = lambda **kwargs: Etcd3Client(**kwargs)
from tooz import coordination
url, seconds = sys.argv[1], float(sys.argv[2])
coordinator = coordination.get_coordinator(url, b"python-bench")
coordinator.start()
lock = coordinator.get_lock(b"python-bench")
for _ in range(20):
    lock.acquire(); lock.release()
count, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    lock.acquire(); lock.release(); count += 1
print(count / (time.perf_counter() - start))
coordinator.stop()
`;

/** Operations per second, or the reason it could not run. */
export async function pythonTooz(host: string, port: number, ms: number): Promise<number | string> {
  const url = `etcd3+http://${host}:${port}?api_version=v3&lock_timeout=60`;
  try {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', SCRIPT, url, String(ms / 1000)], {
      timeout: ms + 30_000,
    });
    const rate = Number(stdout.trim().split('\n').pop());
    return Number.isFinite(rate) ? rate : `unexpected output: ${stdout.trim().slice(0, 200)}`;
  } catch (error) {
    return `could not run: ${(error as Error).message.split('\n')[0]}`;
  }
}
