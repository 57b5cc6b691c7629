import { type ConnectionUrl, InvalidArgumentError } from '@tooz/core';
import { type PostgresSettings, parsePostgresOptions } from './options.js';

/** URL query names (libpq's where it has one) and the options they set. */
const URL_NAMES: Readonly<Record<string, string>> = {
  dbname: 'database',
  application_name: 'applicationName',
  connect_timeout: 'connectTimeout',
  keepalive_interval: 'keepaliveInterval',
  keepalive_timeout: 'keepaliveTimeout',
  session_timeout: 'sessionTimeout',
  liveness_interval: 'livenessInterval',
  lock_mode: 'lockMode',
};

/**
 * `postgres://user:password@host:port/database?sslmode=verify-full&...` into
 * settings. As in tooz (and libpq), `host`, `port` and `dbname` in the query
 * override the URL's own parts, which is how a unix socket directory is given.
 */
export function settingsFromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): PostgresSettings {
  if (url.hosts.length > 1) {
    throw new InvalidArgumentError('url.host', 'takes one host: pg has no multi-host failover');
  }
  const input: Record<string, unknown> = {};
  const [host] = url.hosts;
  if (host?.host) input.host = host.host;
  if (host?.port !== undefined) input.port = host.port;
  if (url.username !== undefined) input.user = url.username;
  if (url.password !== undefined) input.password = url.password;
  const database = url.path.replace(/^\//, '');
  if (database) input.database = database;
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(options)) {
    const name = URL_NAMES[key] ?? key;
    given.set(name, key);
    input[name] = value;
  }
  try {
    return parsePostgresOptions(input, 's');
  } catch (error) {
    throw renamed(error, given);
  }
}

/** Names a refused URL parameter as it was written (`connect_timeout`, not `connectTimeout`). */
function renamed(error: unknown, given: ReadonlyMap<string, string>): unknown {
  if (!(error instanceof InvalidArgumentError)) return error;
  const [root, name, ...rest] = error.field.split('.');
  const original = name === undefined ? undefined : given.get(name);
  if (original === undefined || original === name) return error;
  const reason = error.message.slice(`Invalid ${error.field}: `.length);
  return new InvalidArgumentError([root, original, ...rest].join('.'), reason);
}
