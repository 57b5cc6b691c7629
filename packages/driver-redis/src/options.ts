import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  type ConnectionUrl,
  duration,
  flag,
  hostList,
  InvalidArgumentError,
  parseDriverOptions,
  pem,
  port,
  renameAliases,
  secret,
} from '@tooz/core/driver';
import { z } from 'zod';

/** Where Redis is and how to talk to it; everything but the address is optional. */
export interface RedisOptions {
  /** One server (default 127.0.0.1:6379), or a unix socket `path`. */
  readonly host?: string;
  /** Port of `host` (default 6379). */
  readonly port?: number;
  /** A unix socket path, instead of host and port. */
  readonly path?: string;
  /** Sentinels to ask for the primary of `sentinelMaster` (instead of host/port). */
  readonly sentinels?: readonly {
    /** A sentinel's host. */
    readonly host: string;
    /** Its port (default 26379). */
    readonly port?: number;
  }[];
  /** Name of the monitored primary the sentinels are asked for; required with `sentinels`. */
  readonly sentinelMaster?: string;
  /** Logical database number (default 0). */
  readonly db?: number;
  /** ACL user name (Redis 6+). */
  readonly username?: string;
  /** Password (`AUTH`); masked in errors and diagnostics. */
  readonly password?: string;
  /** TLS to the data nodes: true, or node:tls options. `rediss://` implies it. */
  readonly tls?: boolean | TlsConnectionOptions;
  /** PEM file of the CA to trust for TLS. */
  readonly tlsCaFile?: string;
  /** PEM client certificate file, for servers that verify clients. */
  readonly tlsCertFile?: string;
  /** PEM private key file of `tlsCertFile`. */
  readonly tlsKeyFile?: string;
  /** ACL user name for the sentinels themselves. */
  readonly sentinelUsername?: string;
  /** Password for the sentinels themselves; masked in errors. */
  readonly sentinelPassword?: string;
  /** TLS to the sentinels too (default false). */
  readonly sentinelTls?: boolean;
  /** Give up a connection attempt after this long (ms; default 10 s). */
  readonly connectTimeout?: number | string;
  /** A connection that stays silent this long is dropped and reopened (ms; default 10 s). */
  readonly socketTimeout?: number | string;
  /** Health ping period (ms; default min(ttl / 3, 1 s)): a ping unanswered for a period means suspended. */
  readonly healthCheckInterval?: number | string;
  /** Replicas that must acknowledge a lock or membership write before it counts (Redis WAIT; default 0). */
  readonly waitReplicas?: number | string;
  /** How long WAIT may take (ms; default 1 s). */
  readonly waitReplicasTimeout?: number | string;
  /** How long a lock's fence key outlives its last hold (ms; default 5 min). */
  readonly fenceRetention?: number | string;
  /**
   * `'native'` (default): one key per lock, Python tooz 9.x's. `'tooz'`: a
   * hold also takes the keys Python tooz 3.1.0 writes for the same name
   * (`b'<ns>'_b'<name>'_lock`, `b'<ns>'_<name>_lock`) and 9.x's raw key,
   * so that every Python tooz version is excluded (see the README).
   */
  readonly lockMode?: LockMode;
}

export const LOCK_MODES = ['native', 'tooz'] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** tooz's query parameter names (TOOZ.md §2.1) for options that are named differently here. */
const TOOZ_ALIASES: Readonly<Record<string, string>> = {
  ssl: 'tls',
  ssl_ca_certs: 'tlsCaFile',
  ssl_certfile: 'tlsCertFile',
  ssl_keyfile: 'tlsKeyFile',
  sentinel: 'sentinelMaster',
  sentinel_ssl: 'sentinelTls',
  socket_connect_timeout: 'connectTimeout',
};

const int = (min: number, max: number) => z.coerce.number().int('must be an integer').min(min).max(max);

/** `tls`: node:tls options, or a boolean in any spelling `flag` takes (its message when it is neither). */
const tlsOption = z.unknown().transform((value, ctx): boolean | TlsConnectionOptions => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  const read = flag.safeParse(value);
  if (read.success) return read.data;
  const reason = typeof value === 'string' ? read.error.issues[0]?.message : undefined;
  ctx.addIssue({ code: 'custom', message: reason ?? 'must be true, false or node:tls connection options' });
  return z.NEVER;
});

const PEM_FILES = { tlsCaFile: 'ca', tlsCertFile: 'cert', tlsKeyFile: 'key' } as const;

/** Durations: a JS number is ms; a string may carry a unit, and a bare number in a string means `bareUnit`. */
function optionsSchema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  const positive = ms.pipe(z.number().positive('must be positive'));
  const file = z.string().min(1).optional();
  return z
    .object({
      host: z.string().min(1).optional(),
      port: port.optional(),
      path: z.string().min(1).optional(),
      sentinels: hostList.optional(),
      sentinelMaster: z.string().min(1).optional(),
      db: int(0, 1_000_000).default(0),
      username: z.string().optional(),
      password: secret.optional(),
      tls: tlsOption.optional(),
      tlsCaFile: file,
      tlsCertFile: file,
      tlsKeyFile: file,
      sentinelUsername: z.string().optional(),
      sentinelPassword: secret.optional(),
      sentinelTls: flag.default(false),
      connectTimeout: positive.default(10_000),
      socketTimeout: positive.default(10_000),
      healthCheckInterval: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
      waitReplicas: int(0, 100).default(0),
      waitReplicasTimeout: positive.default(1_000),
      fenceRetention: ms.default(300_000),
      lockMode: z.enum(LOCK_MODES, { message: `must be one of ${LOCK_MODES.join(', ')}` }).default('native'),
    })
    .strict()
    .refine((o) => !(o.sentinels && (o.host || o.path)), {
      message: 'give either sentinels or host/path, not both',
      path: ['sentinels'],
    })
    .refine((o) => !o.sentinels || o.sentinelMaster, {
      message: 'is required with sentinels (the name the sentinels monitor the primary under)',
      path: ['sentinelMaster'],
    })
    .transform((o, ctx) => {
      // TLS when `tls` says so or, without `tls`, when PEM files are given (a `redis://` URL sets `tls: false`
      // unless it says `ssl=true`: in tooz the files alone do not turn TLS on, and are not read).
      const dataTls =
        o.tls !== false &&
        (o.tls !== undefined || Object.keys(PEM_FILES).some((f) => o[f as keyof typeof PEM_FILES] !== undefined));
      const files: TlsConnectionOptions = {};
      if (dataTls || o.sentinelTls) {
        for (const [field, name] of Object.entries(PEM_FILES)) {
          const given = o[field as keyof typeof PEM_FILES];
          if (given === undefined) continue;
          const read = pem.safeParse(given);
          if (read.success) files[name] = read.data;
          else ctx.addIssue({ code: 'custom', path: [field], message: read.error.issues[0]?.message ?? 'unreadable' });
        }
      }
      const given = typeof o.tls === 'object' ? o.tls : {};
      return {
        ...o,
        tls: dataTls ? { ...given, ...files } : undefined,
        sentinelTls: o.sentinelTls ? files : undefined,
      };
    });
}

/** The options as the session uses them: defaults filled, TLS material read. */
export type RedisSettings = z.output<ReturnType<typeof optionsSchema>>;

export function parseRedisOptions(
  input: Readonly<Record<string, unknown>>,
  bareUnit: 'ms' | 's' = 'ms',
): RedisSettings {
  return parseDriverOptions(optionsSchema(bareUnit), input, TOOZ_ALIASES);
}

/** tooz parameters with no meaning here, accepted so that tooz URLs work unchanged. */
const IGNORED = new Set(['retry_on_timeout', 'socket_keepalive']);

/** tooz's executor kinds (`utils.ProxyExecutor`): accepted and ignored; tooz refuses any other. */
const EXECUTORS = new Set(['threaded', 'thread', 'threading', 'synchronous', 'sync']);

/** Python's names for UTF-8 (`codecs.lookup`): the only encoding this driver writes. */
const UTF8 = /^(utf[-_ ]?8|u8|utf|cp65001)$/i;

const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Option names as this driver spells them; the values are left to the schema. */
function driverOptions(given: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(renameAliases(given, TOOZ_ALIASES))) {
    if (value === undefined || key === 'sentinel_fallback' || IGNORED.has(key)) continue;
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
    out[camelCase(key)] = value;
  }
  return out;
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
export function optionsFromUrl(url: ConnectionUrl, given: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!['redis', 'rediss', 'redis+sentinel'].includes(url.scheme)) {
    throw new InvalidArgumentError('url', `scheme "${url.scheme}" is not redis, rediss or redis+sentinel`);
  }
  const options = driverOptions(given);
  // Repeated parameters: core keeps only the last one, the URL has them all.
  const fallbacks = url.params.getAll('sentinel_fallback').flatMap((v) => v.split(','));
  if (fallbacks.length === 0 && typeof given.sentinel_fallback === 'string') fallbacks.push(given.sentinel_fallback);
  const sentinels = (hosts: readonly { host: string; port?: number }[]) => [
    ...hosts.map((h) => ({ host: h.host || '127.0.0.1', port: h.port ?? 26379 })),
    ...fallbacks.filter((f) => f.trim() !== ''),
  ];
  // The scheme says TLS or not; in tooz's redis:// only ssl=true turns it on (PEM files alone do not).
  if (options.tls === undefined && url.scheme !== 'redis+sentinel') options.tls = url.scheme === 'rediss';
  if (url.username !== undefined) options.username = url.username;
  if (url.password !== undefined) options.password = url.password;
  if (url.scheme === 'redis+sentinel') {
    if (url.hosts.length === 0) throw new InvalidArgumentError('url.host', 'name at least one sentinel');
    const [master, db, ...rest] = url.path.split('/').filter((part) => part !== '');
    if (!master || rest.length > 0) throw new InvalidArgumentError('url.path', 'must be /<master name>[/<db>]');
    options.sentinelMaster ??= master;
    if (db !== undefined) options.db ??= db;
    options.sentinels = sentinels(url.hosts);
    return options;
  }
  if (url.hosts.length > 1) {
    throw new InvalidArgumentError('url.host', 'several hosts need redis+sentinel:// or ?sentinel=<master>');
  }
  const [first] = url.hosts;
  if (!first?.host) {
    // redis:///var/run/redis.sock: no host, the path is a unix socket.
    if (url.path !== '') options.path = url.path;
  } else if (options.sentinelMaster !== undefined) {
    options.sentinels = sentinels([first]);
  } else {
    options.host = first.host;
    if (first.port !== undefined) options.port = first.port;
  }
  return options;
}
