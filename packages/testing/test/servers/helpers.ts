import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { EtcdServer, ServerHandle } from '../../src/servers/index.js';
import { isProcessAlive } from '../../src/internal.js';

/**
 * Retries an assertion until it passes. The bound is only a bound: the
 * assertion is about an outcome (the client saw the failover), never about
 * how quickly it happened.
 */
export async function eventually<T>(check: () => Promise<T> | T, boundMs = 60_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** The process is gone (zombies count as gone) and its directory removed. */
export function expectLeftNothing(server: Pick<ServerHandle, 'pid' | 'dir'>): void {
  expect(isProcessAlive(server.pid), `pid ${server.pid} still alive`).toBe(false);
  expect(existsSync(server.dir), `${server.dir} still exists`).toBe(false);
}

/** Resolves with the rejection reason; fails if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  throw new Error('expected a rejection, got a result');
}

/**
 * True if the promise has not settled after `ms`. Safe on a noisy machine:
 * a paused or suspended peer cannot answer however long we wait, so a slow
 * machine can only make this more true, never falsely false.
 */
export async function stillPending(promise: Promise<unknown>, ms = 500): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(ms);
  return !settled;
}

/** Hosts as etcd3 wants them: scheme and address, no credentials. */
export function etcdHosts(server: Pick<EtcdServer, 'tls' | 'host' | 'port'>): string {
  return `${server.tls ? 'https' : 'http'}://${server.host}:${server.port}`;
}

/** `host:port,host:port` for node-zookeeper-client, from handles. */
export function zookeeperConnectString(members: readonly Pick<ServerHandle, 'host' | 'port'>[]): string {
  return members.map((m) => `${m.host}:${m.port}`).join(',');
}

/** Resolves on the event even if 'error' comes first (events.once would reject then). */
export function nextEvent(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}
