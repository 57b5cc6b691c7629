/**
 * etcd driver: leases, revision-ordered locks and elections, watch-driven events.
 *
 * @packageDocumentation
 * @module @tooz/driver-etcd
 */
export { etcd, etcdCapabilities, fromUrl } from './driver.js';
export type { EtcdMemberHandle } from './groups.js';
export type { EtcdLockHandle } from './locks.js';
export type { EtcdOptions, EtcdSettings, LockMode } from './options.js';
export { EtcdSession } from './session.js';
