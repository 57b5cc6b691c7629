/**
 * Raw baseline for many locks in flight on redis: one ioredis connection
 * (commands pipeline on it, as on the driver's), each worker running the
 * driver's acquire script then its release script on its own key.
 */
import { Redis } from 'ioredis';
import type { Backend } from './backends.js';
import { type Loop, throughput } from './loops.js';
import { driverScripts, evalScript } from './redis-scripts.js';

const TTL = 30_000;

export async function rawRedis(backend: Backend, workers: number): Promise<Loop> {
  const scripts = await driverScripts();
  const client = new Redis({ host: backend.host, port: backend.port, protocol: 3 });
  const member = 'raw';
  const keys = Array.from({ length: workers }, (_, worker) => `raw_inflight-${worker}_lock`);
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const key = keys[worker] as string;
        const [code, token] = (await evalScript(
          client,
          scripts.acquire,
          key,
          `${key}:fence`,
          member,
          TTL,
          TTL + 300_000,
        )) as [number, string];
        if (code !== 0) throw new Error(`raw acquire refused (${code})`);
        await evalScript(client, scripts.release, key, `${token}:${member}`);
      }),
    close: async () => client.disconnect(),
  };
}
