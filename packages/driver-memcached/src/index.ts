/**
 * memcached driver: compare-and-set locks with fencing, groups without an unbounded key,
 * core-polled notifications.
 *
 * @packageDocumentation
 * @module @tooz/driver-memcached
 */
export { fromUrl, memcached, memcachedCapabilities } from './driver.js';
export type { MemcachedOptions, MemcachedSettings } from './options.js';
export type { MemcachedSession } from './session.js';
