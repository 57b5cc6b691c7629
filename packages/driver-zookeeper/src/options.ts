import { type ConnectionUrl, duration, flag, hostList, parseDriverOptions, secret } from '@tooz/core/driver';
import { z } from 'zod';

export const DEFAULT_PORT = 2181;

/** Options of `zookeeper({...})`; durations are milliseconds, or strings with a unit (`10s`). */
export interface ZookeeperOptions {
  /** `host[:port]` entries, as an array or comma-separated; default `localhost:2181`. */
  readonly hosts?: string | readonly string[];
  /** A path every node lives under (created on connect if missing), e.g. `/apps/billing`. */
  readonly chroot?: string;
  /** Digest credentials: sent on every connection, and the owner of the nodes this driver creates. */
  readonly username?: string;
  /** Digest password of `username`; masked in errors. */
  readonly password?: string;
  /** Session timeout asked of the server (it clamps it to its own bounds); default: the coordinator's `ttl`. */
  readonly sessionTimeout?: number | string;
  /** How long `connect()` waits for the first session; default 10 s. */
  readonly connectTimeout?: number | string;
  /**
   * ACL of created nodes: `creator` (a digest ACL giving everything to these
   * credentials alone, as Python tooz does) or `open` (world:anyone).
   * Default: `creator` with credentials, `open` without.
   */
  readonly acl?: 'creator' | 'open';
}

/** What the driver runs on, once validated. */
export interface ZookeeperSettings {
  readonly hosts: readonly string[];
  readonly chroot: string;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly sessionTimeout: number | undefined;
  readonly connectTimeout: number;
  readonly acl: 'creator' | 'open';
}

// IPv6 literals are refused: node-zookeeper-client splits host and port at the first colon.
const hosts = hostList.transform((list, ctx) => {
  const ipv6 = list.find(({ host }) => host.includes(':'));
  if (!ipv6) return list.map(({ host, port }) => `${host}:${port ?? DEFAULT_PORT}`);
  ctx.addIssue({ code: 'custom', message: `"[${ipv6.host}]" is an IPv6 literal, which is not supported` });
  return z.NEVER;
});

const chroot = z
  .string()
  .transform((path) => path.replace(/\/+$/, ''))
  .refine((path) => path === '' || /^(\/[^/]+)+$/.test(path), 'must be an absolute path such as /apps/billing')
  .refine((path) => ![...path].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters')
  .refine((path) => !path.split('/').some((part) => part === '.' || part === '..'), 'must not contain . or ..');

const NO_TLS = 'TLS is not supported: node-zookeeper-client has no TLS';

function schema(bareUnit: 'ms' | 's') {
  return z
    .object({
      hosts: hosts.optional(),
      chroot: chroot.optional(),
      username: z.string().min(1, 'must not be empty').optional(),
      password: secret.optional(),
      sessionTimeout: duration(bareUnit).pipe(z.number().min(100, 'must be at least 100 ms')).optional(),
      connectTimeout: duration(bareUnit).pipe(z.number().min(1, 'must be positive')).default(10_000),
      acl: z.enum(['creator', 'open']).optional(),
    })
    .strict()
    .refine((o) => o.password === undefined || o.username !== undefined, {
      message: 'a password needs a username (digest credentials are user:password)',
      path: ['password'],
    });
}

/** Python tooz's query parameters: kazoo-only ones accepted without effect, TLS ones refused (`use_ssl=false` aside). */
const toozOnly = z.object({
  use_ssl: flag.refine((on) => !on, NO_TLS).optional(),
  ...Object.fromEntries(
    ['verify_certs', 'ca', 'certfile', 'keyfile', 'keyfile_password'].map((key) => [
      key,
      z.never({ message: NO_TLS }).optional(),
    ]),
  ),
  ...Object.fromEntries(
    ['randomize_hosts', 'connection_retry', 'command_retry', 'handler'].map((key) => [key, z.unknown().optional()]),
  ),
});

const ALIASES: Readonly<Record<string, string>> = {
  session_timeout: 'sessionTimeout',
  connect_timeout: 'connectTimeout',
};

/**
 * Validates `zookeeper({...})`'s options, or with `url`, a
 * `zookeeper://[user:password@]h1:2181,h2[/chroot][?session_timeout=10&acl=open]`
 * and the options beside it (which take precedence; a bare number is
 * seconds there, as in tooz).
 */
export function parseZookeeperOptions(
  options: ZookeeperOptions | Readonly<Record<string, unknown>>,
  url?: ConnectionUrl,
): ZookeeperSettings {
  if (!url) return toSettings(parseDriverOptions(schema('ms'), { ...options }));
  const input: Record<string, unknown> = {};
  const tooz: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key in toozOnly.shape) tooz[key] = value;
    else input[key] = value;
  }
  parseDriverOptions(toozOnly, tooz);
  const extra: unknown = input.hosts;
  const listed = [
    ...url.hosts.filter(({ host }) => host !== '').map(({ host, port }) => `${host}:${port ?? DEFAULT_PORT}`),
    ...(typeof extra === 'string' ? extra.split(',') : Array.isArray(extra) ? extra : []),
  ];
  input.hosts = listed.length > 0 ? listed : undefined;
  if (url.path !== '' && url.path !== '/') input.chroot ??= url.path;
  input.username ??= url.username;
  input.password ??= url.password;
  return toSettings(parseDriverOptions(schema('s'), input, ALIASES));
}

function toSettings(parsed: z.output<ReturnType<typeof schema>>): ZookeeperSettings {
  const auth =
    parsed.username === undefined ? undefined : { username: parsed.username, password: parsed.password ?? '' };
  return {
    hosts: parsed.hosts ?? [`localhost:${DEFAULT_PORT}`],
    chroot: parsed.chroot ?? '',
    auth,
    sessionTimeout: parsed.sessionTimeout,
    connectTimeout: parsed.connectTimeout,
    acl: parsed.acl ?? (auth ? 'creator' : 'open'),
  };
}

/** The connection as it may be printed: hosts, chroot and user, never the password. */
export function describe(settings: ZookeeperSettings): string {
  const user = settings.auth ? `${encodeURIComponent(settings.auth.username)}@` : '';
  return `zookeeper://${user}${settings.hosts.join(',')}${settings.chroot}`;
}
