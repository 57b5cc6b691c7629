/**
 * Uncontended acquire+release loops on one ZooKeeper: the SDK, and a raw
 * node-zookeeper-client loop making the driver's own round trips: the queue's
 * children, the contender create and the children again sent together (one
 * round trip: the lock is free, and the fencing zxid comes from the queue's
 * stat), the watch on the new node sent without waiting, then the delete.
 */
import type { Coordinator } from '@tooz/core';
import { type Client, CreateMode, createClient } from 'node-zookeeper-client';
import { median, rateFor } from './measure.js';

export type Loop = () => Promise<void>;

export function sdkLoop(coordinator: Coordinator, name: string): Loop {
  return async () => {
    const lease = await coordinator.acquire(name);
    await lease.release();
  };
}

export async function rawClient(hosts: string): Promise<Client> {
  const client = createClient(hosts, { sessionTimeout: 30_000, retries: 0 });
  await new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  });
  return client;
}

const call = <T>(send: (done: (error: unknown, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => send((error, value) => (error ? reject(error) : resolve(value))));

export async function rawLoop(client: Client, name: string): Promise<Loop> {
  const queue = `/bench-raw/locks/${name}`;
  await call((done) => client.mkdirp(queue, done));
  const data = Buffer.from('bench-raw');
  const watcher = () => undefined;
  return async () => {
    const before = call<string[]>((done) => client.getChildren(queue, done));
    const created = call<string>((done) =>
      client.create(`${queue}/0123456789abcdef0123456789abcdef__lock__`, data, CreateMode.EPHEMERAL_SEQUENTIAL, done),
    );
    const after = call<string[]>((done) => client.getChildren(queue, done));
    const [, path, children] = await Promise.all([before, created, after]);
    if (children.length !== 1) throw new Error('raw loop: the lock was contended');
    void call((done) => client.exists(path, watcher, done));
    await call<void>((done) => client.remove(path, (error) => done(error, undefined)));
  };
}

/** A loop that times itself (another process): one call runs a whole round and returns its rate. */
export interface TimedLoop {
  readonly timed: (ms: number) => Promise<number>;
}

/** Runs each loop for `ms` in turn, `rounds` times, and returns each one's median rate (per second). */
export async function interleaved(
  loops: Record<string, Loop | TimedLoop>,
  rounds: number,
  ms: number,
): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = {};
  for (const loop of Object.values(loops)) {
    if (typeof loop === 'function') for (let i = 0; i < 50; i++) await loop();
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, loop] of Object.entries(loops)) {
      rates[name] = [
        ...(rates[name] ?? []),
        typeof loop === 'function' ? await rateFor(loop, ms) : await loop.timed(ms),
      ];
    }
  }
  return Object.fromEntries(Object.entries(rates).map(([name, values]) => [name, median(values)]));
}
