import type { Coordinator } from '@tooz/core';
import { startZookeeper, type ZookeeperServer } from '@tooz/testing';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Inspector } from './inspect.js';

/** One ZooKeeper for a test file, a raw inspector on it, and what each test opens, closed after it. */
export interface Bed {
  readonly server: ZookeeperServer;
  readonly inspector: Inspector;
  /** Coordinators to close after each test. */
  readonly open: Coordinator[];
  /** Subscriptions to end after each test, before the coordinators close. */
  readonly subscriptions: Subscription[];
}

export function zookeeperBed(): Bed {
  let server: ZookeeperServer | undefined;
  let inspector: Inspector | undefined;
  const bed: Bed = {
    get server() {
      if (!server) throw new Error('the ZooKeeper fixture has not started');
      return server;
    },
    get inspector() {
      if (!inspector) throw new Error('the ZooKeeper fixture has not started');
      return inspector;
    },
    open: [],
    subscriptions: [],
  };
  beforeAll(async () => {
    server = await startZookeeper();
    inspector = await Inspector.connect(`${server.host}:${server.port}`);
  });
  afterEach(async () => {
    for (const s of bed.subscriptions.splice(0)) s.unsubscribe();
    await Promise.allSettled(bed.open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    inspector?.close();
    await server?.[Symbol.asyncDispose]();
  });
  return bed;
}
