import { connect } from '@tooz/core';
import { redisCapabilities } from '@tooz/driver-redis';
import { conformance } from '@tooz/testing';
import { afterAll, beforeAll } from 'vitest';
import { ProxiedMembers } from './support/members.js';
import { type RedisServer, startRedis } from './support/servers.js';

let server: RedisServer;
let members: ProxiedMembers;
beforeAll(async () => {
  server = await startRedis();
  members = new ProxiedMembers(server);
});
afterAll(async () => {
  await members?.close();
  await server?.[Symbol.asyncDispose]();
});

conformance('redis', {
  capabilities: redisCapabilities,
  ttl: 1_500,
  connect: async (options) => connect(await members.url(options.memberId), options),
  faults: {
    suspend: (memberId) => members.suspend(memberId),
    resume: (memberId) => members.resume(memberId),
    expireSession: (memberId) => members.expireSession(memberId),
  },
});
