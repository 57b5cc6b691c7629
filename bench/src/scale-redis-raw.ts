/**
 * The baseline for holding many locks on redis: a bare ioredis client taking
 * `count` keys with the driver's acquire script and keeping them with its
 * refresh script, every key every quarter of the TTL (the SDK's refresh
 * interval), all on one connection. What the SDK spends beyond this is its
 * own bookkeeping.
 */
import { Redis } from 'ioredis';
import type { Backend } from './backends.js';
import { heapAfterGc } from './heap.js';
import { bounded } from './loops.js';
import { driverScripts, evalScript } from './redis-scripts.js';

export interface RawHoldFigures {
  readonly acquireSeconds: number;
  readonly bytesPerLock: number | undefined;
  readonly cpuPerSecond: number;
  /** Refresh scripts that answered "not yours" (the key expired before its refresh). */
  readonly lostRefreshes: number;
}

const FENCE_RETENTION = 300_000;

export async function rawRedisHold(
  backend: Backend,
  count: number,
  ttl: number,
  keepMs: number,
): Promise<RawHoldFigures> {
  const scripts = await driverScripts();
  const client = new Redis({ host: backend.host, port: backend.port, protocol: 3 });
  const member = 'raw';
  const keys = Array.from({ length: count }, (_, i) => `raw_scale-${i}_lock`);
  try {
    const before = heapAfterGc();
    const started = performance.now();
    const values = await bounded(
      Promise.all(
        keys.map(async (key) => {
          const [code, token] = (await evalScript(
            client,
            scripts.acquire,
            key,
            `${key}:fence`,
            member,
            ttl,
            ttl + FENCE_RETENTION,
          )) as [number, string];
          if (code !== 0) throw new Error(`raw acquire refused (${code})`);
          return `${token}:${member}`;
        }),
      ),
      `${count} raw acquires`,
      120_000,
    );
    const acquireSeconds = (performance.now() - started) / 1_000;
    const after = heapAfterGc();

    let lostRefreshes = 0;
    const refreshAll = () =>
      keys.map((key, i) =>
        evalScript(client, scripts.refresh, key, `${key}:fence`, values[i] as string, ttl, ttl + FENCE_RETENTION).then(
          (reply) => {
            if ((reply as [number])[0] !== 0) lostRefreshes++;
          },
        ),
      );
    const cpu = process.cpuUsage();
    const windowStart = performance.now();
    const pending: Promise<void>[] = [];
    const timer = setInterval(() => pending.push(...refreshAll()), Math.max(1, Math.floor(ttl / 4)));
    await new Promise((resolve) => setTimeout(resolve, keepMs));
    clearInterval(timer);
    await bounded(Promise.all(pending), 'raw refreshes', 60_000);
    const used = process.cpuUsage(cpu);
    const cpuPerSecond = ((used.user + used.system) * 1_000) / (performance.now() - windowStart);

    await Promise.all(keys.map((key, i) => evalScript(client, scripts.release, key, values[i] as string)));
    return {
      acquireSeconds,
      bytesPerLock: before === undefined || after === undefined ? undefined : (after - before) / count,
      cpuPerSecond,
      lostRefreshes,
    };
  } finally {
    client.disconnect();
  }
}
