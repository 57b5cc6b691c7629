import { type CapabilityDescriptor, type ConnectionUrl, type Driver, InvalidArgumentError } from '@tooz/core/driver';
import { describeTarget } from './client-config.js';
import { type MysqlOptions, type MysqlSettings, parseMysqlOptions, TOOZ_ALIASES } from './options.js';
import { MysqlSession } from './session.js';

/** What the mysql driver offers (tooz's mysql characteristics, and groups and leadership besides). */
export const mysqlCapabilities = {
  name: 'mysql',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'poll',
  pollInterval: 200,
  liveness: 'session',
  characteristics: [
    'NON_TIMEOUT_BASED',
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
  ],
} as const satisfies CapabilityDescriptor;

function createDriver(settings: MysqlSettings): Driver<typeof mysqlCapabilities> {
  return {
    capabilities: mysqlCapabilities,
    description: describeTarget(settings),
    open: (context) => MysqlSession.open(context, settings),
  };
}

/**
 * A driver object for `connect(mysql({...}))`.
 *
 * @example
 * const coordinator = await connect(mysql({ host: 'db', user: 'app', password, database: 'app' }), { memberId: 'api-7' });
 */
export function mysql(options: MysqlOptions): Driver<typeof mysqlCapabilities> {
  return createDriver(parseMysqlOptions(options, 'ms'));
}

/** `connect('mysql://user:pass@host:3306/db?ssl_ca=/etc/ca.pem')` lands here (also `mariadb://`). */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  if (url.hosts.length > 1) throw new InvalidArgumentError('url.host', 'takes one host');
  const input: Record<string, unknown> = {};
  const [host] = url.hosts;
  if (host?.host) input.host = host.host;
  if (host?.port !== undefined) input.port = host.port;
  if (url.username !== undefined) input.user = url.username;
  if (url.password !== undefined) input.password = url.password;
  const database = url.path.replace(/^\//, '');
  if (database) input.database = database;
  try {
    return createDriver(parseMysqlOptions({ ...input, ...options }, 's'));
  } catch (error) {
    throw asWritten(error, options);
  }
}

/** Names a refused option as the URL wrote it (`ssl_ca`, not `sslCa`). */
function asWritten(error: unknown, given: Readonly<Record<string, unknown>>): unknown {
  if (!(error instanceof InvalidArgumentError)) return error;
  const [root, name, ...rest] = error.field.split('.');
  const original = Object.keys(given).find((key) => key !== name && TOOZ_ALIASES[key] === name);
  if (original === undefined) return error;
  return new InvalidArgumentError(
    [root, original, ...rest].join('.'),
    error.message.slice(`Invalid ${error.field}: `.length),
  );
}
