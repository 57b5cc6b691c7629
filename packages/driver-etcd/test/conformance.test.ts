import { etcdCapabilities } from '@tooz/driver-etcd';
import { conformance } from '@tooz/testing';
import { afterAll } from 'vitest';
import { startEtcd } from '@tooz/testing';
import { adminClient, Members } from './helpers.js';

const server = await startEtcd();
const admin = adminClient(server);
const members = new Members(server);
afterAll(async () => {
  await members.close();
  admin.close();
  await server[Symbol.asyncDispose]();
});

conformance('etcd', {
  capabilities: etcdCapabilities,
  // etcd leases count in whole seconds; 3 s keeps a busy machine from missing keep-alives.
  ttl: 3_000,
  connect: (options) => members.connect(options),
  faults: {
    suspend: (memberId) => members.suspend(memberId),
    resume: (memberId) => members.resume(memberId),
    expireSession: (memberId) => members.expire(admin, memberId),
  },
});
