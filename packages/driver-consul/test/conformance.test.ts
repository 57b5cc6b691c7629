import { consulCapabilities } from '@tooz/driver-consul';
import { conformance } from '@tooz/testing/conformance';
import { consulTarget } from './support/target.js';

const target = await consulTarget();

conformance(target.real ? 'consul (real server)' : 'consul', {
  capabilities: consulCapabilities,
  ttl: target.ttl,
  connect: async (options) => (await target.members.add(options)).coordinator,
  faults: {
    suspend: (memberId) => target.members.suspend(memberId),
    resume: (memberId) => target.members.resume(memberId),
    expireSession: (memberId) => target.expire(memberId),
  },
});
