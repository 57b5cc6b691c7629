import type { CapabilityDescriptor } from '@tooz/core';

/** What the ZooKeeper driver offers; the same characteristics as Python tooz's zookeeper driver. */
export const zookeeperCapabilities = {
  name: 'zookeeper',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'NON_TIMEOUT_BASED',
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
    'SEQUENTIAL',
  ],
} as const satisfies CapabilityDescriptor;
