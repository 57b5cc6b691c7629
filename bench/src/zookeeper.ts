/**
 * @tooz/driver-zookeeper against its baselines, all on one private ZooKeeper
 * started here (the @tooz/testing fixture, on loopback):
 * - uncontended acquire+release per second: the SDK, a raw
 *   node-zookeeper-client loop with the same round trips, Python tooz's
 *   zookeeper driver (kazoo);
 * - contended hand-off, join → event, leadership hand-over after standDown()
 *   and after the leader's process is killed, p50/p99.
 * Goals (issue 8): SDK ≥ 0.85 × raw and ≥ 3 × Python tooz; hand-off and
 * event p99 ≤ 5 ms on loopback.
 *
 * Rates are medians of interleaved rounds, so a busy machine slows every
 * contender alike rather than whichever ran at the wrong moment.
 */
import { pathToFileURL } from 'node:url';
import { type Coordinator, connect } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { startZookeeper } from '@tooz/testing';
import { fmt, interleaved, type Loop, type TimedLoop } from './measure.js';
import { handOff, joinToEvent, latencyLine, standDownHandOver } from './latency.js';
import { killedLeaderHandOver } from './zookeeper-latency.js';
import { rawClient, rawLoop, sdkLoop } from './zookeeper-loops.js';
import { pythonTooz } from './zookeeper-python.js';
import { rawHandOff, rawJoinToEvent } from './zookeeper-raw-latency.js';

const MS = Number(process.env.BENCH_MS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
/** The fixture's smallest session timeout: what bounds the take-over from a killed leader. */
const KILLED_SESSION_TIMEOUT = 1_000;

/** Which phase runs, on stderr: the results print together at the end. */
const progress = (phase: string) => process.stderr.write(`  measuring ${phase}...\n`);

export async function main(): Promise<void> {
  const server = await startZookeeper();
  const hosts = `${server.host}:${server.port}`;
  const coordinators: Coordinator[] = [];
  const open = async (memberId: string) => {
    const coordinator = await connect(zookeeper({ hosts }), { memberId, ttl: 30_000 });
    coordinators.push(coordinator);
    return coordinator;
  };
  const client = await rawClient(hosts);
  const python = await pythonTooz(hosts);
  try {
    const sdk = await open('bench-sdk');
    progress('throughput');
    const loops: Record<string, Loop | TimedLoop> = {
      sdk: sdkLoop(sdk, 'throughput'),
      raw: await rawLoop(client, 'throughput'),
      ...(typeof python === 'string' ? {} : { python: { timed: (ms: number) => python.round(ms) } }),
    };
    const measured = await interleaved(loops, ROUNDS, MS);
    const [sdkRate, rawRate] = [measured.rates.sdk ?? 0, measured.rates.raw ?? 0];
    const [a, b] = [await open('bench-a'), await open('bench-b')];
    progress('contended hand-off');
    const contended = await handOff(a, b, 'contended', SAMPLES, 10);
    const other = await rawClient(hosts);
    progress('raw hand-off');
    const rawContended = await rawHandOff(client, other, SAMPLES);
    progress('raw join-to-event');
    const rawEvents = await rawJoinToEvent(client, other, SAMPLES);
    other.close();
    progress('join-to-event');
    const events = await joinToEvent(a, b, 'bench-group', SAMPLES);
    progress('stand-down hand-over');
    const standDown = await standDownHandOver(a, b, 'bench-leader', Math.min(SAMPLES, 100));
    progress('killed-leader hand-over');
    const killed = await killedLeaderHandOver(a, hosts, 'bench-killed', KILLED_SESSION_TIMEOUT, 5);

    console.log(
      `zookeeper (${hosts}), uncontended acquire+release per second (median of ${ROUNDS} interleaved rounds of ${MS} ms; ratios are medians of per-round ratios):`,
    );
    console.log(`  SDK                                ${fmt(sdkRate).padStart(7)}/s`);
    const vsRaw = measured.ratio('sdk', 'raw');
    console.log(
      `  raw node-zookeeper-client, same RTs ${fmt(rawRate).padStart(7)}/s   SDK/raw = ${vsRaw.toFixed(2)}  (goal ≥ 0.85: ${vsRaw >= 0.85 ? 'met' : 'NOT met'})`,
    );
    if (typeof python === 'string') {
      console.log(`  Python tooz (kazoo)                 ${python}`);
    } else {
      const pythonRate = measured.rates.python ?? 0;
      const vsPython = measured.ratio('sdk', 'python');
      console.log(
        `  Python tooz (kazoo)                 ${fmt(pythonRate).padStart(7)}/s   SDK/Python = ${vsPython.toFixed(2)}  (goal ≥ 3: ${vsPython >= 3 ? 'met' : 'NOT met'})`,
      );
    }
    console.log('latency (one process, one clock):');
    console.log(latencyLine('contended hand-off', contended, 5));
    console.log(latencyLine('  raw client, same requests', rawContended));
    console.log(latencyLine('join → joined event', events.joined, 5));
    console.log(latencyLine('  raw client, same requests', rawEvents));
    console.log(latencyLine('leave → left event', events.left, 5));
    console.log(latencyLine('leadership hand-over (standDown)', standDown));
    console.log(latencyLine(`leader killed (session ${KILLED_SESSION_TIMEOUT} ms)`, killed));
  } finally {
    if (typeof python !== 'string') python.stop();
    await Promise.allSettled(coordinators.map((c) => c.close()));
    client.close();
    await server[Symbol.asyncDispose]();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
