import type { CapabilityDescriptor } from '@tooz/core';

/** What the etcd driver offers. */
export const etcdCapabilities = {
  name: 'etcd',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
    'LINEARIZABLE',
    'SEQUENTIAL',
    'SAME_VIEW_UNDER_PARTITIONS',
  ],
} as const satisfies CapabilityDescriptor;
