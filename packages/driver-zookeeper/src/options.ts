import { type ConnectionUrl, duration, InvalidArgumentError, parseOptions, registerSecret } from '@tooz/core';
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
export interface ZookeeperConfig {
  readonly hosts: readonly string[];
  readonly chroot: string;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly sessionTimeout: number | undefined;
  readonly connectTimeout: number;
  readonly acl: 'creator' | 'open';
}

const HOST = /^(?:[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;

const hostList = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const entries = (typeof value === 'string' ? value.split(',') : value).map((h) => h.trim()).filter(Boolean);
  for (const entry of entries) {
    const match = HOST.exec(entry);
    const port = match?.[1] === undefined ? DEFAULT_PORT : Number(match[1]);
    // IPv6 literals are left out: node-zookeeper-client splits host and port at the first colon.
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host[:port] (IPv6 literals are not supported)` });
      return z.NEVER;
    }
  }
  return entries.map((entry) => (entry.includes(':') ? entry : `${entry}:${DEFAULT_PORT}`));
});

const chroot = z
  .string()
  .transform((path) => path.replace(/\/+$/, ''))
  .refine((path) => path === '' || /^(\/[^/]+)+$/.test(path), 'must be an absolute path such as /apps/billing')
  .refine((path) => ![...path].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters')
  .refine((path) => !path.split('/').some((part) => part === '.' || part === '..'), 'must not contain . or ..');

function schema(bareUnit: 'ms' | 's') {
  return z
    .object({
      hosts: hostList.optional(),
      chroot: chroot.optional(),
      username: z.string().min(1, 'must not be empty').optional(),
      password: z.string().optional(),
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

function toConfig(parsed: z.output<ReturnType<typeof schema>>): ZookeeperConfig {
  const hosts = parsed.hosts && parsed.hosts.length > 0 ? parsed.hosts : [`localhost:${DEFAULT_PORT}`];
  const auth =
    parsed.username === undefined ? undefined : { username: parsed.username, password: parsed.password ?? '' };
  return {
    hosts,
    chroot: parsed.chroot ?? '',
    auth,
    sessionTimeout: parsed.sessionTimeout,
    connectTimeout: parsed.connectTimeout,
    acl: parsed.acl ?? (auth ? 'creator' : 'open'),
  };
}

/** Validates the options of `zookeeper({...})`. */
export function parseZookeeperOptions(options: ZookeeperOptions): ZookeeperConfig {
  registerSecret(options?.password);
  return toConfig(parseOptions(schema('ms'), options));
}

/** Python tooz query parameters that steer kazoo only: accepted so its URLs work, without effect here. */
const KAZOO_ONLY = new Set(['randomize_hosts', 'connection_retry', 'command_retry', 'handler']);
const TLS = new Set(['use_ssl', 'verify_certs', 'ca', 'certfile', 'keyfile', 'keyfile_password']);
const URL_KEYS: Readonly<Record<string, string>> = {
  session_timeout: 'sessionTimeout',
  connect_timeout: 'connectTimeout',
};

/**
 * `zookeeper://[user:password@]h1:2181,h2:2181[/chroot][?session_timeout=10&connect_timeout=5&acl=open]`.
 * Query values are strings (a bare number is seconds, as in tooz); options
 * passed to `connect()` beside the URL take precedence.
 */
export function parseZookeeperUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): ZookeeperConfig {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (KAZOO_ONLY.has(key)) continue;
    if (TLS.has(key)) {
      if (key === 'use_ssl' && /^(0|false|no|off)$/i.test(String(value))) continue;
      throw new InvalidArgumentError(`options.${key}`, 'TLS is not supported: node-zookeeper-client has no TLS');
    }
    input[URL_KEYS[key] ?? key] = value;
  }
  const fromHosts = url.hosts.map((h) => `${h.host}:${h.port ?? DEFAULT_PORT}`).filter((h) => !h.startsWith(':'));
  const extra = input.hosts;
  input.hosts = [...fromHosts, ...(typeof extra === 'string' ? extra.split(',') : Array.isArray(extra) ? extra : [])];
  if (url.path !== '' && url.path !== '/' && input.chroot === undefined) input.chroot = url.path;
  if (url.username !== undefined && input.username === undefined) input.username = url.username;
  if (url.password !== undefined && input.password === undefined) input.password = url.password;
  registerSecret(typeof input.password === 'string' ? input.password : undefined);
  return toConfig(parseOptions(schema('s'), input));
}

/** The connection as it may be printed: hosts, chroot and user, never the password. */
export function describe(config: ZookeeperConfig): string {
  const user = config.auth ? `${encodeURIComponent(config.auth.username)}@` : '';
  return `zookeeper://${user}${config.hosts.join(',')}${config.chroot}`;
}
