// @tooz/driver-postgres: locks, groups and leadership on PostgreSQL sessions,
// with LISTEN/NOTIFY push and fencing tokens.
import type { ConnectionUrl, Driver } from '@tooz/core';
import type { postgresCapabilities } from './capabilities.js';
import { createDriver } from './driver.js';
import { type PostgresOptions, parsePostgresOptions } from './options.js';
import { settingsFromUrl } from './url.js';

export { postgresCapabilities } from './capabilities.js';
export { advisoryKey, channelOf } from './keys.js';
export type { PostgresOptions, SslMode } from './options.js';

/**
 * A driver object for `connect(postgres({...}))`.
 *
 * @example
 * const coordinator = await connect(postgres({ host: 'db', user: 'app', password, database: 'app' }), { memberId: 'api-7' });
 */
export function postgres(options: PostgresOptions = {}): Driver<typeof postgresCapabilities> {
  return createDriver(parsePostgresOptions(options, 'ms'));
}

/** `connect('postgres://user:pass@host:5432/db?sslmode=verify-full')` lands here. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  return createDriver(settingsFromUrl(url, options));
}
