import { connect } from '@tooz/core';
import { conformance, MemoryServer, memory, memoryCapabilities } from '@tooz/testing';

const server = new MemoryServer();

conformance('memory', {
  capabilities: memoryCapabilities,
  ttl: 300,
  connect: (options) => connect(memory({ server }), options),
  faults: {
    suspend: (memberId) => server.suspend(memberId),
    resume: (memberId) => server.resume(memberId),
    expireSession: (memberId) => server.expireSession(memberId),
  },
});
