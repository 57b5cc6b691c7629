// @tooz/driver-postgres: locks, groups and leadership on PostgreSQL sessions,
// with LISTEN/NOTIFY push and fencing tokens.
export { fromUrl, postgres, postgresCapabilities } from './driver.js';
export { advisoryKey, channelOf } from './keys.js';
export type { PostgresOptions, SslMode } from './options.js';
