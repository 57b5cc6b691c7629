import type { CapabilityDescriptor } from '@tooz/core';

/** What the postgres driver offers (the same characteristics as tooz's pgsql driver). */
export const postgresCapabilities = {
  name: 'postgres',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'NON_TIMEOUT_BASED',
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
  ],
} as const satisfies CapabilityDescriptor;
