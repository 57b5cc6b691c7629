/**
 * The ipc driver (System V semaphores, one host) in one run:
 * - uncontended acquire+release per second: through the SDK, the driver's
 *   addon alone (the same semop calls, no core), and Python tooz 3.1.0's
 *   ipc driver (Debian's python3-tooz on sysv_ipc);
 * - hand-off between two processes: from the holder's release to the
 *   waiting process's grant, both stamped on CLOCK_MONOTONIC (p50/p99).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@tooz/core';
import { ftok, IpcKeys, ipc } from '@tooz/driver-ipc';
import { startPeer } from '@tooz/testing';
import { fmt, opsPerSecond, opsPerSecondSync } from './measure.js';

const MS = Number(process.env.BENCH_MS ?? 3_000);
const HANDOFFS = Number(process.env.BENCH_HANDOFFS ?? 200);

type Table = { readonly __brand: 'table' };
interface Addon {
  attach(key: number, removeIfUnused: boolean): Table;
  detach(table: Table): void;
  tryAcquire(table: Table, key: number, memberId: Buffer): [number, bigint] | null;
  release(table: Table, key: number, semid: number): boolean;
}

/** The driver's addon, beside its entry point (not a public export). */
function driverAddon(): Addon {
  const entry = fileURLToPath(import.meta.resolve('@tooz/driver-ipc'));
  return createRequire(entry)(join(dirname(dirname(entry)), 'build', 'Release', 'tooz_ipc.node')) as Addon;
}

const PYTHON_LOOP = `
import sys, time
from tooz import coordination
c = coordination.get_coordinator('ipc://', b'py-bench')
c.start()
lock = c.get_lock(b'tooz-bench-python-' + sys.argv[2].encode())
n, t0, ms = 0, time.perf_counter(), float(sys.argv[1]) / 1000
while time.perf_counter() - t0 < ms:
    for _ in range(200):
        if not lock.acquire(blocking=False): raise SystemExit('not acquired')
        lock.release()
    n += 200
print(n / (time.perf_counter() - t0))
c.stop()
`;

async function python(): Promise<number | undefined> {
  try {
    const { stdout } = await promisify(execFile)(
      '/usr/bin/python3',
      ['-c', PYTHON_LOOP, String(MS), String(process.pid)],
      {
        timeout: 60_000,
      },
    );
    return Number(stdout.trim());
  } catch (error) {
    console.log(`  (Python tooz did not run: ${(error as Error).message.split('\n', 1)[0]})`);
    return undefined;
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

export async function main(): Promise<void> {
  const namespace = `bench${process.pid}`;
  const addon = driverAddon();
  const keys = new IpcKeys(namespace);
  const table = addon.attach(keys.table, true);
  const rawKey = ftok(`raw-${process.pid}`, '__TOOZ_LOCK_bench');
  const member = Buffer.from('raw');
  const raw = opsPerSecondSync(() => {
    const grant = addon.tryAcquire(table, rawKey, member);
    if (!grant) throw new Error('raw lock not acquired');
    addon.release(table, rawKey, grant[0]);
  }, MS);
  addon.detach(table);

  const coordinator = await connect(ipc({}), { memberId: 'bench', namespace });
  const sdk = await opsPerSecond(
    async () => {
      const lease = await coordinator.acquire('uncontended');
      await lease.release();
    },
    MS,
    200,
  );
  const py = await python();

  // Hand-off: a waiting peer process gets the lock when this one lets go.
  const peer = await startPeer({
    driver: fileURLToPath(import.meta.resolve('@tooz/driver-ipc')),
    url: 'ipc://',
    options: { memberId: 'peer', namespace },
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < HANDOFFS; i++) {
      const lease = await coordinator.acquire('handoff');
      const before = peer.events.length;
      await peer.lock('handoff');
      const released = process.hrtime.bigint();
      await lease.release();
      const granted = await peer.waitFor(
        (event) => event.seq > before && event.kind === 'lock' && event.name === 'handoff' && event.state === 'held',
        'peer granted',
      );
      samples.push(Number(granted.at - released) / 1e6);
      await peer.unlock('handoff');
    }
  } finally {
    await peer.close();
    await coordinator.close();
  }
  samples.sort((a, b) => a - b);
  const [load1] = (await import('node:os')).loadavg();
  console.log(`ipc (one host, System V semaphores), load average ${fmt(load1 ?? 0)}`);
  console.log(
    `  uncontended acquire+release: SDK ${fmt(sdk)}/s, raw addon ${fmt(raw)}/s (SDK/raw ${(sdk / raw).toFixed(2)})`,
  );
  if (py !== undefined) console.log(`  Python tooz 3.1.0 ipc: ${fmt(py)}/s (SDK/Python ${(sdk / py).toFixed(2)})`);
  console.log(
    `  hand-off to another process (release → grant): p50 ${percentile(samples, 50).toFixed(3)} ms, p99 ${percentile(samples, 99).toFixed(3)} ms (${samples.length} samples)`,
  );
}
