import type { CapabilityDescriptor } from '@tooz/core';

/**
 * Characteristics, against tooz's (THR, PROC, HOSTS, CAUSAL): not
 * LINEARIZABLE, and not CAUSAL either. Redis replicates asynchronously, so
 * a failover can lose writes that were acknowledged (a lock taken, a
 * member joined) and that someone already acted on; `waitReplicas` narrows
 * that window but does not close it (WAIT is not a consensus commit).
 * TTL-based: a holder that cannot refresh in time loses its hold.
 */
export const redisCapabilities = {
  name: 'redis',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'ttl',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES', 'DISTRIBUTED_ACROSS_HOSTS'],
} as const satisfies CapabilityDescriptor;
