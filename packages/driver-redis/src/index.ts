// @tooz/driver-redis: every primitive on Redis, with Lua-atomic locks,
// fencing tokens, pub/sub push and Sentinel failover. See README.md.
export { fromUrl, redis, redisCapabilities } from './driver.js';
export type { RedisOptions } from './options.js';
