export { etcd, etcdCapabilities, fromUrl } from './driver.js';
export type { EtcdMemberHandle } from './groups.js';
export type { EtcdLockHandle } from './locks.js';
export type { EtcdOptions, EtcdSettings, LockMode } from './options.js';
export { EtcdSession } from './session.js';
