import { connect } from '@tooz/core';
import { memcachedCapabilities } from '@tooz/driver-memcached';
import { type MemcachedServer, ProxiedMembers, startMemcached } from '@tooz/testing';
import { conformance } from '@tooz/testing/conformance';
import { afterAll, beforeAll } from 'vitest';
import { expireMember } from './support/expire.js';

let server: MemcachedServer;
let members: ProxiedMembers;
beforeAll(async () => {
  server = await startMemcached();
  members = new ProxiedMembers(server, (proxy, options) => connect(proxy.via(server.url), options));
});
afterAll(async () => {
  await members?.close();
  await server?.[Symbol.asyncDispose]();
});

conformance('memcached', {
  capabilities: memcachedCapabilities,
  ttl: 2_000,
  connect: async (options) => (await members.add(options)).coordinator,
  faults: {
    suspend: (memberId) => members.suspend(memberId),
    resume: (memberId) => members.resume(memberId),
    expireSession: async (memberId) => void (await expireMember(server, memberId)),
  },
});
