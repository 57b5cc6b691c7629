import { type CapabilityDescriptor, type ConnectionUrl, type Driver, InvalidArgumentError } from '@tooz/core/driver';
import { POSTGRES_ALIASES, type PostgresOptions, type PostgresSettings, parsePostgresOptions } from './options.js';
import { PostgresSession } from './session.js';

/** What the postgres driver offers (the same characteristics as tooz's pgsql driver). */
export const postgresCapabilities = {
  name: 'postgres',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'NON_TIMEOUT_BASED',
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
  ],
} as const satisfies CapabilityDescriptor;

/**
 * A driver object for `connect(postgres({...}))`.
 *
 * @example
 * const coordinator = await connect(postgres({ host: 'db', user: 'app', password, database: 'app' }), { memberId: 'api-7' });
 */
export function postgres(options: PostgresOptions = {}): Driver<typeof postgresCapabilities> {
  return driverOf(parsePostgresOptions(options));
}

/**
 * `connect('postgres://user:password@host:port/database?sslmode=verify-full&...')`
 * lands here. As in tooz (and libpq), `host`, `port` and `dbname` in the
 * query override the URL's own parts, which is how a unix socket directory
 * is given; a bare number in a duration means seconds.
 */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  if (url.hosts.length > 1) {
    throw new InvalidArgumentError('url.host', 'takes one host: pg has no multi-host failover');
  }
  const [host] = url.hosts;
  const parts: Record<string, unknown> = {
    host: host?.host || undefined,
    port: host?.port,
    user: url.username,
    password: url.password,
    database: url.path.replace(/^\//, '') || undefined,
  };
  const overridden = new Set(Object.keys(options).map((key) => POSTGRES_ALIASES[key] ?? key));
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parts))
    if (value !== undefined && !overridden.has(name)) input[name] = value;
  return driverOf(parsePostgresOptions({ ...input, ...options }, 's'));
}

function driverOf(settings: PostgresSettings): Driver<typeof postgresCapabilities> {
  return {
    capabilities: postgresCapabilities,
    description: describeTarget(settings),
    open: (context) => PostgresSession.open(context, settings),
  };
}

/** Where the driver connects, without credentials. */
function describeTarget(settings: PostgresSettings): string {
  const user = settings.user ? `${encodeURIComponent(settings.user)}@` : '';
  const host = settings.host ?? 'localhost';
  const shownHost = host.startsWith('/') ? encodeURIComponent(host) : host.includes(':') ? `[${host}]` : host;
  const database = settings.database ? `/${encodeURIComponent(settings.database)}` : '';
  const mode = settings.sslmode ? `?sslmode=${settings.sslmode}` : '';
  return `postgres://${user}${shownHost}:${settings.port ?? 5432}${database}${mode}`;
}
