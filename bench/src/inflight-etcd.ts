/**
 * Raw baseline for many locks in flight on etcd: one etcd3 client, each
 * worker running etcd-throughput.ts's raw loop (the driver's two round
 * trips: the queue-entry transaction, then the delete) on its own name.
 */
import { Etcd3 } from 'etcd3';
import type { Backend } from './backends.js';
import { rawLoop } from './etcd-throughput.js';
import { type Loop, throughput } from './loops.js';

export async function rawEtcd(backend: Backend, workers: number): Promise<Loop> {
  const client = new Etcd3({ hosts: `http://${backend.host}:${backend.port}` });
  const cycles = await Promise.all(
    Array.from({ length: workers }, (_, worker) => rawLoop(client, `inflight-${worker}`)),
  );
  return {
    run: (ms) =>
      throughput(workers, ms, (worker) => (cycles[worker] as () => Promise<unknown>)().then(() => undefined)),
    close: async () => client.close(),
  };
}
