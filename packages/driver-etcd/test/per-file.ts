import type { Coordinator } from '@tooz/core';
import { type EtcdServer, startEtcd } from '@tooz/testing';
import type { Etcd3 } from 'etcd3';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach } from 'vitest';
import { adminClient, EtcdMembers } from './helpers.js';

/** One etcd for a test file, and what its tests open, closed after each test or after the file. */
export interface PerFile {
  readonly server: EtcdServer;
  /** A plain client for looking behind the driver's back. */
  readonly admin: Etcd3;
  /** Coordinators behind fault proxies of their own. */
  readonly members: EtcdMembers;
  /** Coordinators to close after each test. */
  readonly open: Coordinator[];
  /** Subscriptions to end after each test, before the coordinators close. */
  readonly subscriptions: Subscription[];
}

export async function etcdPerFile(): Promise<PerFile> {
  const server = await startEtcd();
  const perFile: PerFile = {
    server,
    admin: adminClient(server),
    members: new EtcdMembers(server),
    open: [],
    subscriptions: [],
  };
  afterEach(async () => {
    for (const s of perFile.subscriptions.splice(0)) s.unsubscribe();
    await Promise.allSettled(perFile.open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await perFile.members.close();
    perFile.admin.close();
    await server[Symbol.asyncDispose]();
  });
  return perFile;
}
