import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Coordinator } from '@tooz/core';
import { filter, firstValueFrom } from 'rxjs';
import { type Percentiles, percentiles, sleep } from './latency.js';

/**
 * A leader in another process is killed (SIGKILL); the candidate here takes
 * over once ZooKeeper expires the dead session: the session timeout bounds it.
 */
export async function killedLeaderHandOver(
  candidate: Coordinator,
  hosts: string,
  group: string,
  sessionTimeout: number,
  samples: number,
): Promise<Percentiles> {
  const latencies: number[] = [];
  const script = fileURLToPath(new URL('./zookeeper-leader.js', import.meta.url));
  for (let i = 0; i < samples; i++) {
    const child = spawn(process.execPath, [script, hosts, group, String(sessionTimeout)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('leading')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the leader process exited (${code}) before leading`)));
    });
    const subscription = candidate.leadership(group).subscribe();
    // Queued behind the child's seat before it dies.
    await sleep(50);
    const taken = firstValueFrom(candidate.leadership(group).pipe(filter((leading) => leading)));
    const start = performance.now();
    child.kill('SIGKILL');
    await taken;
    latencies.push(performance.now() - start);
    subscription.unsubscribe();
    await sleep(20);
  }
  return percentiles(latencies);
}
