/**
 * Uncontended acquire+release loops on one ZooKeeper: the SDK, and a raw
 * node-zookeeper-client loop making the driver's own round trips: the queue's
 * children, the contender create and the children again sent together (one
 * round trip: the lock is free, and the fencing zxid comes from the queue's
 * stat), the watch on the new node sent without waiting, then the delete.
 */
import type { Coordinator } from '@tooz/core';
import { type Client, CreateMode, createClient } from 'node-zookeeper-client';
import type { Loop } from './measure.js';

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
