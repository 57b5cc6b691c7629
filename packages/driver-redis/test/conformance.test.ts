import { redisCapabilities } from '@tooz/driver-redis';
import { type RedisServer, startRedis } from '@tooz/testing';
import { conformance } from '@tooz/testing/conformance';
import { afterAll, beforeAll } from 'vitest';
import { RedisMembers } from './support/members.js';

let server: RedisServer;
let members: RedisMembers;
beforeAll(async () => {
  server = await startRedis();
  members = new RedisMembers(server);
});
afterAll(async () => {
  await members?.close();
  await server?.[Symbol.asyncDispose]();
});

conformance('redis', {
  capabilities: redisCapabilities,
  ttl: 1_500,
  connect: async (options) => (await members.add(options)).coordinator,
  faults: {
    suspend: (memberId) => members.suspend(memberId),
    resume: (memberId) => members.resume(memberId),
    expireSession: (memberId) => members.expireSession(memberId),
  },
});
