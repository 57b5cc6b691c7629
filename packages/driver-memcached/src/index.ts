export { fromUrl, memcached, memcachedCapabilities } from './driver.js';
export type { MemcachedOptions, MemcachedSettings } from './options.js';
export type { MemcachedSession } from './session.js';
