import { zookeeperCapabilities } from '@tooz/driver-zookeeper';
import { startZookeeper, type ZookeeperServer } from '@tooz/testing';
import { conformance } from '@tooz/testing/conformance';
import { afterAll, beforeAll } from 'vitest';
import { ZookeeperMembers } from './support/proxied.js';

// One server for the suite (a JVM is slow to start); each coordinator has its own fault proxy.
let server: ZookeeperServer;
const members = new ZookeeperMembers(() => server);
beforeAll(async () => {
  server = await startZookeeper();
});
afterAll(async () => {
  await members.close();
  await server?.[Symbol.asyncDispose]();
});

conformance('zookeeper', {
  capabilities: zookeeperCapabilities,
  // The session timeout: long enough that a starved process on a loaded machine rarely loses its session.
  ttl: 4_000,
  connect: async (options) => (await members.add(options)).coordinator,
  faults: members,
});
