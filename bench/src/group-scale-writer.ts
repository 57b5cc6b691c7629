/**
 * The group-scale bench's member writer, in a process of its own so that
 * the bench process's CPU is the watcher's alone. One raw client writes
 * members exactly where the driver's join writes them: ephemeral znodes
 * (one ZooKeeper session holds them all), or keys on one etcd lease.
 *
 * Usage: node group-scale-writer.js <zookeeper|etcd> <host:port>; then one
 * JSON line per request on stdin ({ op: 'join' | 'leave', group, count }),
 * answered by one line on stdout ('ok' or 'error: …').
 */
import { createInterface } from 'node:readline';
import { encodeCapabilities } from '@tooz/core';
import { Etcd3 } from 'etcd3';
import { CreateMode } from 'node-zookeeper-client';
import { rawClient } from './zookeeper-loops.js';

interface Writer {
  write(group: string, id: string): Promise<unknown>;
  erase(group: string, id: string): Promise<unknown>;
}

const IN_FLIGHT = 64;
const capabilities = Buffer.from(encodeCapabilities({ weight: 1 }));

/** Runs `task` over `items` with at most `inFlight` pending. */
async function pooled<T>(items: readonly T[], inFlight: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
}

const call = <T>(send: (done: (error: unknown, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => send((error, value) => (error ? reject(error) : resolve(value))));

async function writer(backend: string, hosts: string): Promise<Writer> {
  if (backend === 'zookeeper') {
    const client = await rawClient(hosts);
    return {
      write: (group, id) =>
        call((done) => client.create(`/tooz/${group}/${id}`, capabilities, CreateMode.EPHEMERAL, done)),
      erase: (group, id) => call<void>((done) => client.remove(`/tooz/${group}/${id}`, (e) => done(e, undefined))),
    };
  }
  const client = new Etcd3({ hosts: `http://${hosts}` });
  const lease = client.lease(60, { autoKeepAlive: true });
  const leaseId = await lease.grant();
  return {
    write: (group, id) => client.put(`tooz/groups/${group}/${id}`).value(capabilities).lease(leaseId).exec(),
    erase: (group, id) => client.delete().key(`tooz/groups/${group}/${id}`).exec(),
  };
}

const [backend = '', hosts = ''] = process.argv.slice(2);
const members = await writer(backend, hosts);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const { op, group, count } = JSON.parse(line) as { op: 'join' | 'leave'; group: string; count: number };
  const ids = Array.from({ length: count }, (_, i) => `member-${i}`);
  try {
    await pooled(ids, IN_FLIGHT, (id) => (op === 'join' ? members.write(group, id) : members.erase(group, id)));
    process.stdout.write('ok\n');
  } catch (error) {
    process.stdout.write(`error: ${(error as Error).message}\n`);
  }
}
process.exit(0);
