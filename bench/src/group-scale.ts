/**
 * Large groups on real servers (ZooKeeper, etcd): a 1,000- and a
 * 10,000-member group, members written by one raw client in a child process
 * (see group-scale-backends.ts), watched from this process by one SDK
 * coordinator, so this process's CPU is the watcher's. Three phases per
 * size, each joining every member then making each leave:
 *   raw          only the backend's own watch (the baseline),
 *   view         the SDK's members$ on top,
 *   partitioner  members$ and partitioner() on top.
 * Printed: time until the watcher has seen every join (and every leave),
 * CPU per change at the watcher (this process's CPU, against the raw watch),
 * heap per member of the view (and of the ring), the partitioner's update
 * per change, and the load average while it ran. Every wait is bounded.
 * Redis is not here: its join is a Lua script keyed by per-member owner
 * tokens, which a raw client cannot write without the driver's internals.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Coordinator } from '@tooz/core';
import type { Subscription } from 'rxjs';
import { etcdBackend, type ScaleBackend, zookeeperBackend } from './group-scale-backends.js';
import { bounded } from './loops.js';

const SIZES = (process.env.BENCH_GROUP_SIZES ?? '1000,10000').split(',').map(Number);
/** As the writer process sends them. */
const IN_FLIGHT = 64;
/** Longest wait for one join-all or leave-all to be seen. */
const WAIT_MS = Number(process.env.BENCH_GROUP_WAIT_MS ?? 180_000);

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

type Mode = 'raw' | 'view' | 'partitioner';

interface PhaseResult {
  readonly joinMs: number;
  readonly leaveMs: number;
  /** This process's CPU per change, µs: the watcher's (the writes are another process's). */
  readonly cpuMicros: number;
  /** Heap held with every member in, minus with none, per member (view phases). */
  readonly bytesPerMember?: number;
}

/** Resolves once `check()` holds, re-tested each time `poke()` is called. */
function waiter(check: () => boolean): { poke: () => void; until: (what: string) => Promise<void> } {
  let resolve: (() => void) | undefined;
  return {
    poke: () => {
      if (resolve && check()) resolve();
    },
    until: (what) =>
      bounded(
        new Promise<void>((done) => {
          resolve = done;
          if (check()) done();
        }),
        what,
        WAIT_MS,
      ),
  };
}

async function phase(
  backend: ScaleBackend,
  watcher: Coordinator,
  group: string,
  ids: readonly string[],
  mode: Mode,
): Promise<PhaseResult> {
  let size = 0;
  let target = ids.length;
  const seen = waiter(() => size === target);
  const subscriptions: Subscription[] = [];
  let stopRaw: (() => void) | undefined;
  if (mode === 'raw') {
    stopRaw = await backend.rawWatch(group, (count) => {
      size = count;
      seen.poke();
    });
  } else if (mode === 'view') {
    subscriptions.push(
      watcher.group(group).members$.subscribe((members) => {
        size = members.size;
        seen.poke();
      }),
    );
  } else {
    subscriptions.push(watcher.group(group).members$.subscribe());
    subscriptions.push(
      watcher
        .group(group)
        .partitioner()
        .subscribe((p) => {
          size = p.members.size;
          seen.poke();
        }),
    );
  }
  try {
    target = 0;
    await seen.until(`${mode}: the empty group`);
    const empty = mode === 'raw' ? 0 : heap();
    const cpu = process.cpuUsage();
    target = ids.length;
    let start = performance.now();
    await backend.join(group, ids.length);
    await seen.until(`${mode}: ${ids.length} joins`);
    const joinMs = performance.now() - start;
    const cpuJoin = process.cpuUsage(cpu);
    const full = mode === 'raw' ? 0 : heap();
    const cpuLeft = process.cpuUsage();
    target = 0;
    start = performance.now();
    await backend.leave(group, ids.length);
    await seen.until(`${mode}: ${ids.length} leaves`);
    const leaveMs = performance.now() - start;
    const cpuLeave = process.cpuUsage(cpuLeft);
    const micros = cpuJoin.user + cpuJoin.system + cpuLeave.user + cpuLeave.system;
    return {
      joinMs,
      leaveMs,
      cpuMicros: micros / (2 * ids.length),
      ...(mode === 'raw' ? {} : { bytesPerMember: (full - empty) / ids.length }),
    };
  } finally {
    stopRaw?.();
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
}

const f1 = (n: number) => n.toFixed(1);
const seconds = (ms: number) => `${(ms / 1_000).toFixed(2)} s`;

async function run(open: () => Promise<ScaleBackend>): Promise<void> {
  const backend = await open();
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 1_000);
  try {
    const watcher = await backend.watcher();
    for (const members of SIZES) {
      const group = `scale-${members}`;
      await watcher.group(group).create();
      const ids = Array.from({ length: members }, (_, i) => `member-${i}`);
      const results: Partial<Record<Mode, PhaseResult>> = {};
      for (const mode of ['raw', 'view', 'partitioner'] as const) {
        try {
          results[mode] = await phase(backend, watcher, group, ids, mode);
        } catch (error) {
          console.log(`  ${backend.name} ${members}: ${mode} phase failed: ${(error as Error).message}`);
          break;
        }
      }
      const { raw, view, partitioner } = results;
      console.log(`${backend.name}, ${members.toLocaleString('en-US')} members (${IN_FLIGHT} writes in flight)`);
      if (raw) {
        console.log(
          `  raw watch (baseline)   : all joins seen in ${seconds(raw.joinMs)}, all leaves in ${seconds(raw.leaveMs)}, ${f1(raw.cpuMicros)} µs CPU per change`,
        );
      }
      if (raw && view) {
        const extra = view.cpuMicros - raw.cpuMicros;
        console.log(
          `  members$ view          : all joins seen in ${seconds(view.joinMs)} (${(view.joinMs / raw.joinMs).toFixed(2)}× raw), leaves in ${seconds(view.leaveMs)}; ` +
            `+${f1(extra)} µs CPU per change at the watcher (${(view.cpuMicros / raw.cpuMicros).toFixed(2)}× raw); ${f1(view.bytesPerMember ?? 0)} bytes per member`,
        );
      }
      if (view && partitioner) {
        console.log(
          `  + partitioner()        : all joins seen in ${seconds(partitioner.joinMs)}; +${f1(partitioner.cpuMicros - view.cpuMicros)} µs CPU per change for the ring update; ` +
            `${f1(partitioner.bytesPerMember ?? 0)} bytes per member with the ring`,
        );
      }
    }
  } finally {
    clearInterval(sampler);
    await backend.close();
  }
  const peak = Math.max(...loads, loadavg()[0] ?? 0);
  console.log(
    `  load average while it ran: ${loads.length > 0 ? f1(Math.min(...loads)) : '?'}–${f1(peak)} (1 min, ${loads.length} samples; 2 cores)`,
  );
}

export async function main(): Promise<void> {
  console.log(
    'group scale: one SDK watcher; members written by one raw client in a child process, not by 10,000 coordinators',
  );
  for (const open of [etcdBackend, zookeeperBackend]) await run(open);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
