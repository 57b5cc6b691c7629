import type { CapabilityDescriptor } from '@tooz/core';

/**
 * Processes on one host. A holder or member is alive while its process
 * holds an OS file lock, which the kernel drops when the process dies:
 * nothing expires by time (NON_TIMEOUT_BASED), nothing outlives a crash.
 */
export const fileCapabilities = {
  name: 'file',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: ['NON_TIMEOUT_BASED', 'DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES'],
} as const satisfies CapabilityDescriptor;
