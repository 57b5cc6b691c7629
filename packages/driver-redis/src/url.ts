import { type ConnectionUrl, InvalidArgumentError } from '@tooz/core';
import type { RedisDriverOptions } from './options.js';

/** tooz's query parameter names (TOOZ.md §2.1) for options that are named differently here. */
const TOOZ_NAMES: Readonly<Record<string, string>> = {
  ssl: 'tls',
  ssl_ca_certs: 'tlsCaFile',
  ssl_certfile: 'tlsCertFile',
  ssl_keyfile: 'tlsKeyFile',
  sentinel: 'sentinelMaster',
  sentinel_ssl: 'sentinelTls',
  socket_connect_timeout: 'connectTimeout',
};

/** tooz parameters with no meaning here, accepted so that tooz URLs work unchanged. */
const IGNORED = new Set(['retry_on_timeout', 'socket_keepalive']);

/** tooz's executor kinds (`utils.ProxyExecutor`): accepted and ignored; tooz refuses any other. */
const EXECUTORS = new Set(['threaded', 'thread', 'threading', 'synchronous', 'sync']);

/** tooz's booleans are oslo's `bool_from_string`: these words, in any case. */
const TRUE_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);
const BOOLEANS = new Set(['ssl', 'sentinel_ssl']);

/** Python's names for UTF-8 (`codecs.lookup`): the only encoding this driver writes. */
const UTF8 = /^(utf[-_ ]?8|u8|utf|cp65001)$/i;

function toozBoolean(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  // oslo reads any other word as false; a typo is more likely than a wish for no TLS.
  throw new InvalidArgumentError(
    `options.${TOOZ_NAMES[key] ?? key}`,
    `"${value}" is not a boolean (true/false, yes/no, on/off, 1/0)`,
  );
}

const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(text.trim());
  const host = match?.[1];
  if (!host) throw new InvalidArgumentError('url.sentinel_fallback', `"${text}" is not host:port`);
  return { host, port: match[2] ? Number(match[2]) : defaultPort };
}

/** Option names as this driver spells them; the URL's strings are validated (and coerced) by the schema. */
function driverOptions(url: ConnectionUrl, given: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || key === 'sentinel_fallback') continue;
    if (IGNORED.has(key)) continue;
    if (key === 'encoding') {
      if (!UTF8.test(String(value).trim()))
        throw new InvalidArgumentError('options.encoding', 'only utf8 is supported');
      continue;
    }
    if (key === 'executor') {
      if (!EXECUTORS.has(String(value))) {
        throw new InvalidArgumentError(
          'options.executor',
          `must be one of ${[...EXECUTORS].join(', ')} (tooz's executors)`,
        );
      }
      continue;
    }
    // redis-py's 0 means "no health checks"; this driver needs its pings, so 0 means its default.
    if (key === 'health_check_interval' && typeof value === 'string' && Number(value) === 0) continue;
    out[TOOZ_NAMES[key] ?? camelCase(key)] = BOOLEANS.has(key) ? toozBoolean(key, value) : value;
  }
  // Repeated parameters: core keeps only the last one, the URL has them all.
  const fallbacks = url.params.getAll('sentinel_fallback').flatMap((v) => v.split(','));
  if (fallbacks.length === 0 && typeof given.sentinel_fallback === 'string') fallbacks.push(given.sentinel_fallback);
  if (fallbacks.length > 0) out.sentinelFallback = fallbacks.filter((f) => f.trim() !== '');
  return out;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

/**
 * `redis://[user:pass@]host[:port][/ignored][?db=N]`, `rediss://...` (TLS),
 * `redis:///path/to/socket`, `redis+sentinel://h1:26379,h2:26379/<master>[/db]`,
 * and tooz's Sentinel form `redis://sentinel:26379?sentinel=<master>&sentinel_fallback=h2:26379`.
 *
 * As in Python tooz (3.1.0 and 9.x alike), the path of a URL with a host
 * means nothing: tooz hands redis-py only the host, port, credentials and
 * query options, so `redis://h:6379/2` is database 0 there, and here. The
 * database is `?db=N`.
 */
export function optionsFromUrl(url: ConnectionUrl, given: Readonly<Record<string, unknown>>): RedisDriverOptions {
  if (!['redis', 'rediss', 'redis+sentinel'].includes(url.scheme)) {
    throw new InvalidArgumentError('url', `scheme "${url.scheme}" is not redis, rediss or redis+sentinel`);
  }
  const options = driverOptions(url, given);
  const fallbacks = (options.sentinelFallback as string[] | undefined) ?? [];
  delete options.sentinelFallback;
  // The scheme says TLS or not; in tooz's redis:// only ssl=true turns it on (PEM files alone do not).
  if (options.tls === undefined && url.scheme !== 'redis+sentinel') options.tls = url.scheme === 'rediss';
  if (url.username !== undefined) options.username = url.username;
  if (url.password !== undefined) options.password = url.password;
  if (url.scheme === 'redis+sentinel') {
    const parts = splitPath(url.path);
    if (url.hosts.length === 0) throw new InvalidArgumentError('url.host', 'name at least one sentinel');
    const [master, db, ...rest] = parts;
    if (!master || rest.length > 0) throw new InvalidArgumentError('url.path', 'must be /<master name>[/<db>]');
    options.sentinelMaster ??= master;
    if (db !== undefined) options.db ??= db;
    options.sentinels = [
      ...url.hosts.map((h) => ({ host: h.host || '127.0.0.1', port: h.port ?? 26379 })),
      ...fallbacks.map((f) => parseHostPort(f, 26379)),
    ];
    return options as RedisDriverOptions;
  }

  if (url.hosts.length > 1) {
    throw new InvalidArgumentError('url.host', 'several hosts need redis+sentinel:// or ?sentinel=<master>');
  }
  const [first] = url.hosts;
  if (!first?.host) {
    // redis:///var/run/redis.sock: no host, the path is a unix socket.
    if (url.path !== '') options.path = url.path;
  } else if (options.sentinelMaster !== undefined) {
    options.sentinels = [
      { host: first.host, port: first.port ?? 26379 },
      ...fallbacks.map((f) => parseHostPort(f, 26379)),
    ];
  } else {
    options.host = first.host;
    if (first.port !== undefined) options.port = first.port;
  }
  return options as RedisDriverOptions;
}
