export { etcdCapabilities } from './capabilities.js';
export { etcd, fromUrl } from './driver.js';
export type { EtcdMemberHandle } from './group-backend.js';
export type { EtcdLockHandle } from './lock-handle.js';
export type { EtcdDriverOptions } from './options.js';
export { EtcdSession } from './session.js';
