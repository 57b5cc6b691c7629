import { connect } from '@tooz/core';
import { MemoryServer, memory, memoryCapabilities, memoryPollCapabilities } from '@tooz/testing';
import { conformance } from '@tooz/testing/conformance';

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

// The poll branch: the same backend with no notifications at all; core polls holders and members.
const polled = new MemoryServer();

conformance('memory, poll mode', {
  capabilities: memoryPollCapabilities,
  ttl: 300,
  connect: (options) => connect(memory({ server: polled, notifications: 'poll' }), options),
  faults: {
    suspend: (memberId) => polled.suspend(memberId),
    resume: (memberId) => polled.resume(memberId),
    expireSession: (memberId) => polled.expireSession(memberId),
  },
});
