/**
 * Consul driver: locks, groups and leadership on Consul sessions, told of changes by blocking
 * queries.
 *
 * @packageDocumentation
 * @module @tooz/driver-consul
 */
export { consul, consulCapabilities, fromUrl } from './driver.js';
export type { ConsulMemberHandle } from './groups.js';
export type { ConsulLockHandle } from './locks.js';
export type { ConsulOptions, ConsulSettings } from './options.js';
export { ConsulSession } from './session.js';
