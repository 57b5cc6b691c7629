// @tooz/driver-redis: every primitive on Redis, with Lua-atomic locks,
// fencing tokens, pub/sub push and Sentinel failover. See README.md.
export { redisCapabilities } from './capabilities.js';
export { fromUrl, redis } from './driver.js';
export type { RedisDriverOptions } from './options.js';
