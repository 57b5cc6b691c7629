/**
 * Redis driver: every primitive on Redis, with Lua-atomic locks, fencing tokens, pub/sub push
 * and Sentinel failover.
 *
 * @packageDocumentation
 * @module @tooz/driver-redis
 */
export { fromUrl, redis, redisCapabilities } from './driver.js';
export { ReplicationError } from './errors.js';
export type { RedisOptions } from './options.js';
