import type { ConnectionUrl, Holds, Narrows, SameShape } from '@tooz/core/driver';
import { duration, flag, InvalidArgumentError, parseDriverOptions, pem, port, secret } from '@tooz/core/driver';
import { z } from 'zod';

/** tooz's memcached URL options, under this driver's names. */
const TOOZ_ALIASES = {
  use_ssl: 'tls',
  ca_cert: 'tlsCa',
  ssl_cert: 'tlsCert',
  ssl_key: 'tlsKey',
  ssl_check_hostname: 'tlsCheckHostname',
  connect_timeout: 'connectTimeout',
  request_timeout: 'requestTimeout',
};

/** Python tooz options this driver accepts and ignores (they tune pymemcache). */
const IGNORED = new Set(['max_pool_size', 'executor', 'ssl_ciphers', 'ssl_key_password']);

function schema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  return z
    .object({
      host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
      port: port.default(11211),
      /** memcached's ASCII authentication (`-Y`). */
      user: z.string().min(1, 'must not be empty').optional(),
      password: secret.optional(),
      tls: flag.default(false),
      /** PEM text or a file path: the CA that signed the server's certificate. */
      tlsCa: pem.optional(),
      tlsCert: pem.optional(),
      tlsKey: pem.optional(),
      /** Check the certificate names the host (default true; tooz's `ssl_check_hostname` defaults to false). */
      tlsCheckHostname: flag.default(true),
      connectTimeout: ms.pipe(z.number().min(1, 'must be at least 1 ms')).default(5_000),
      /** A reply this late drops the connection (coordinator `suspended`) and it is made again. */
      requestTimeout: ms.pipe(z.number().min(1, 'must be at least 1 ms')).default(2_000),
    })
    .strict()
    .refine((o) => (o.user === undefined) === (o.password === undefined), {
      message: 'user and password go together',
      path: ['password'],
    });
}

// Written out rather than z.input/z.output, so zod's types stay out of the
// package's .d.ts; the check below keeps them equal to the schema.
/** Options of `memcached({...})`, before defaults; durations in ms or strings like `'10s'`. */
export type MemcachedOptions = {
  /** Server host name or address (default `127.0.0.1`). */
  host?: string | undefined;
  /** Server port (default 11211). */
  port?: number | string | undefined;
  /** memcached's ASCII authentication (`-Y`); with `password`. */
  user?: string | undefined;
  /** Password for `user`; masked in errors. */
  password?: string | undefined;
  /** TLS to the server (default false; implied by `memcacheds://`). */
  tls?: boolean | string | undefined;
  /** PEM text or a file path: the CA that signed the server's certificate. */
  tlsCa?: Buffer | string | undefined;
  /** Client certificate, PEM text or a file path. */
  tlsCert?: Buffer | string | undefined;
  /** Client private key, PEM text or a file path. */
  tlsKey?: Buffer | string | undefined;
  /** Check the certificate names the host (default true; tooz's `ssl_check_hostname` defaults to false). */
  tlsCheckHostname?: boolean | string | undefined;
  /** A connection not made within this long fails (default 5 s). */
  connectTimeout?: number | string | undefined;
  /** A reply this late drops the connection (coordinator `suspended`) and it is made again. */
  requestTimeout?: number | string | undefined;
};
/** Parsed memcached options, as the session uses them. */
export type MemcachedSettings = {
  /** Server host. */
  host: string;
  /** Server port. */
  port: number;
  /** ASCII-auth user, with `password`. */
  user?: string | undefined;
  /** ASCII-auth password; masked in errors. */
  password?: string | undefined;
  /** TLS to the server. */
  tls: boolean;
  /** CA to trust, PEM. */
  tlsCa?: Buffer | undefined;
  /** Client certificate, PEM. */
  tlsCert?: Buffer | undefined;
  /** Client private key, PEM. */
  tlsKey?: Buffer | undefined;
  /** Whether the certificate must name the host. */
  tlsCheckHostname: boolean;
  /** Connect timeout in ms. */
  connectTimeout: number;
  /** Request timeout in ms. */
  requestTimeout: number;
};
type _MemcachedOptionsMatchSchema = [
  Holds<Narrows<MemcachedOptions, z.input<ReturnType<typeof schema>>>>,
  Holds<SameShape<MemcachedSettings, z.output<ReturnType<typeof schema>>>>,
];

/** Validates options given in code (durations as ms numbers or `'2s'`). */
export function parseMemcachedOptions(
  input: Readonly<Record<string, unknown>>,
  bareUnit: 'ms' | 's' = 'ms',
): MemcachedSettings {
  const given = Object.fromEntries(Object.entries(input).filter(([key]) => !IGNORED.has(key)));
  return parseDriverOptions(schema(bareUnit), given, TOOZ_ALIASES);
}

/** `memcached://[user:password@]host[:port][?options]`, as tooz spells it; bare durations in seconds. */
export function optionsFromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): MemcachedSettings {
  if (url.hosts.length > 1) throw new InvalidArgumentError('url.host', 'memcached:// takes one server');
  if (url.path !== '' && url.path !== '/') throw new InvalidArgumentError('url.path', 'memcached:// takes no path');
  const host = url.hosts[0];
  const fromUrl: Record<string, unknown> = {};
  if (host?.host) fromUrl.host = host.host;
  if (host?.port !== undefined) fromUrl.port = host.port;
  if (url.username) fromUrl.user = url.username;
  if (url.password !== undefined) fromUrl.password = url.password;
  if (url.scheme === 'memcacheds') fromUrl.tls = true;
  return parseMemcachedOptions({ ...fromUrl, ...options }, 's');
}
