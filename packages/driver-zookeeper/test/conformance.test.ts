import { zookeeperCapabilities } from '@tooz/driver-zookeeper';
import { conformance, startZookeeper, type ZookeeperServer } from '@tooz/testing';
import { afterAll, beforeAll } from 'vitest';
import { ProxiedMembers } from './support/proxied.js';

// One server for the whole suite (a JVM is slow to start); each coordinator
// reaches it through its own fault proxy, so faults hit one member only.
let server: ZookeeperServer;
const members = new ProxiedMembers(() => server);
beforeAll(async () => {
  server = await startZookeeper();
});
afterAll(async () => {
  await members.close();
  await server?.[Symbol.asyncDispose]();
});

conformance('zookeeper', {
  capabilities: zookeeperCapabilities,
  // The session timeout. A process starved for longer (it happens on a loaded 2-core machine) has its
  // session reported lost, rightly: 4 s keeps that rare without making the TTL scenarios long.
  ttl: 4_000,
  connect: (options) => members.connect(options),
  faults: {
    suspend: (id) => members.suspend(id),
    resume: (id) => members.resume(id),
    expireSession: (id) => members.expireSession(id),
  },
});
