/**
 * PostgreSQL driver: locks, groups and leadership on PostgreSQL sessions (session-held advisory
 * locks), with LISTEN/NOTIFY push and fencing tokens.
 *
 * @packageDocumentation
 * @module @tooz/driver-postgres
 */
export { fromUrl, postgres, postgresCapabilities } from './driver.js';
export { advisoryKey, channelOf } from './keys.js';
export type { PostgresOptions, SslMode } from './options.js';
