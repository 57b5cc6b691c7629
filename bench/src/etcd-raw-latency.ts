/**
 * The same latencies with the raw etcd3 client, doing exactly the driver's
 * round trips, as the floor this machine allows:
 * - hand-off: the holder deletes its entry; the waiter, watching that entry,
 *   confirms in one transaction that nothing older is left (as the driver does);
 * - put-to-event: a put, seen by a prefix watch on another client.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { type Percentiles, percentiles } from './latency.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function nextEvent(watcher: Watcher, type: 'put' | 'delete'): Promise<number> {
  return new Promise((resolve) => watcher.once(type, () => resolve(performance.now())));
}

export async function rawHandOff(holder: Etcd3, waiter: Etcd3, samples: number): Promise<Percentiles> {
  const latencies: number[] = [];
  const prefix = Buffer.from('bench/raw-handoff/');
  const end = Buffer.from('bench/raw-handoff0');
  for (let i = 0; i < samples + 5; i++) {
    const key = Buffer.from(`bench/raw-handoff/${i}`);
    const mine = Buffer.from(`bench/raw-handoff/${i}-next`);
    await holder.put(key).value('h');
    const { header } = await waiter.kv.txn({ success: [{ request_put: { key: mine, value: Buffer.from('w') } }] });
    const watcher = await waiter
      .watch()
      .key(key)
      .only('delete')
      .startRevision(String(BigInt(header.revision) + 1n))
      .create();
    const deleted = nextEvent(watcher, 'delete');
    await sleep(15);
    const start = performance.now();
    await holder.kv.deleteRange({ key });
    await deleted;
    const check = await waiter.kv.txn({
      compare: [{ key: mine, target: 'Create', result: 'Equal', create_revision: header.revision }],
      success: [
        {
          request_range: {
            key: prefix,
            range_end: end,
            max_create_revision: String(BigInt(header.revision) - 1n),
            sort_target: 'Create',
            sort_order: 'Descend',
            limit: 1,
            keys_only: true,
          },
        },
      ],
    });
    if (i >= 5) latencies.push(performance.now() - start);
    if (!check.succeeded) throw new Error('raw hand-off: entry gone');
    await watcher.cancel();
    await waiter.kv.deleteRange({ key: mine });
  }
  return percentiles(latencies);
}

export async function rawPutToEvent(writer: Etcd3, reader: Etcd3, samples: number): Promise<Percentiles> {
  const latencies: number[] = [];
  const watcher = await reader.watch().prefix('bench/raw-events/').create();
  for (let i = 0; i < samples + 5; i++) {
    const seen = nextEvent(watcher, 'put');
    await sleep(2);
    const start = performance.now();
    await writer.put(`bench/raw-events/${i}`).value('x');
    const at = await seen;
    if (i >= 5) latencies.push(at - start);
  }
  await watcher.cancel();
  return percentiles(latencies);
}
