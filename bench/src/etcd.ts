/**
 * @tooz/driver-etcd against its baselines, all on one private etcd started
 * here (the @tooz/testing fixture: loopback, data on tmpfs):
 * - uncontended acquire+release per second: the SDK, a raw etcd3 loop with
 *   the same two round trips, the etcd3 package's own Lock, Python tooz's
 *   etcd3gw driver;
 * - contended hand-off, join-to-event and leadership hand-over, p50/p99.
 * Goals (issue 5): SDK ≥ 0.85 × raw and faster than etcd3's Lock; hand-off
 * and event p99 ≤ 5 ms on loopback.
 *
 * Each comparison runs both loops back to back, round after round (first
 * one, then the other, swapping), and reports the median of the per-round
 * ratios: a busy machine then slows both alike rather than whichever ran at
 * the wrong moment.
 */
import { pathToFileURL } from 'node:url';
import { type Coordinator, connect } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { startEtcd } from '@tooz/testing';
import { Etcd3 } from 'etcd3';
import { handOff, joinToEvent, latencyLine, standDownHandOver } from './latency.js';
import { pythonTooz } from './etcd-python.js';
import { rawHandOff, rawPutToEvent } from './etcd-raw-latency.js';
import { etcd3LockLoop, rawLoop, sdkLoop } from './etcd-throughput.js';
import { fmt, interleaved } from './measure.js';

const MS = Number(process.env.BENCH_MS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);

export async function main(): Promise<void> {
  const server = await startEtcd();
  const hosts = `${server.host}:${server.port}`;
  const coordinators: Coordinator[] = [];
  const open = async (memberId: string) => {
    const coordinator = await connect(etcd({ hosts }), { memberId, ttl: 30_000 });
    coordinators.push(coordinator);
    return coordinator;
  };
  const client = new Etcd3({ hosts: `http://${hosts}` });
  try {
    const sdk = await open('bench-sdk');
    const measured = await interleaved(
      { sdk: sdkLoop(sdk, 'throughput'), raw: await rawLoop(client, 'throughput'), lock: etcd3LockLoop(client, 'x') },
      ROUNDS,
      MS,
    );
    const python = await pythonTooz(server.host, server.port, MS * 2);
    const { sdk: sdkRate, raw: rawRate, lock: lockRate } = measured.rates;
    const [versusRaw, versusLock] = [measured.ratio('sdk', 'raw'), measured.ratio('sdk', 'lock')];

    const [a, b] = [await open('bench-a'), await open('bench-b')];
    const contended = await handOff(a, b, 'contended', SAMPLES, 15);
    const events = await joinToEvent(a, b, 'bench-group', SAMPLES);
    const leadership = await standDownHandOver(a, b, 'bench-leader', Math.min(SAMPLES, 100));
    const other = new Etcd3({ hosts: `http://${hosts}` });
    const rawContended = await rawHandOff(client, other, SAMPLES).finally(() => undefined);
    const rawEvents = await rawPutToEvent(client, other, SAMPLES);
    other.close();

    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `etcd (${hosts}), uncontended acquire+release per second (median of ${ROUNDS} interleaved rounds of ${MS} ms; ratios are medians of per-round ratios):`,
    );
    console.log(`  SDK                              ${fmt(sdkRate).padStart(7)}/s`);
    console.log(
      `  raw etcd3, same round trips      ${fmt(rawRate).padStart(7)}/s   SDK/raw = ${versusRaw.toFixed(2)}  (goal ≥ 0.85: ${verdict(versusRaw >= 0.85)})`,
    );
    console.log(
      `  etcd3 package's own Lock         ${fmt(lockRate).padStart(7)}/s   SDK/etcd3 Lock = ${versusLock.toFixed(2)}  (goal > 1: ${verdict(versusLock > 1)})`,
    );
    if (typeof python === 'number') {
      console.log(
        `  Python tooz etcd3gw (shimmed)    ${fmt(python).padStart(7)}/s   SDK/Python = ${(sdkRate / python).toFixed(2)}`,
      );
    } else {
      console.log(`  Python tooz etcd3gw              ${python}`);
    }
    console.log('latency (one process, one clock):');
    console.log(latencyLine('contended hand-off', contended, 5));
    console.log(latencyLine('  raw etcd3, same round trips', rawContended));
    console.log(latencyLine('join → joined event', events.joined, 5));
    console.log(latencyLine('  raw etcd3 put → watch event', rawEvents));
    console.log(latencyLine('leave → left event', events.left, 5));
    console.log(latencyLine('leadership hand-over (standDown)', leadership));
  } finally {
    await Promise.allSettled(coordinators.map((c) => c.close()));
    client.close();
    await server[Symbol.asyncDispose]();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
