import { type CapabilityDescriptor, type ConnectionUrl, type Driver, parseConnectionUrl } from '@tooz/core/driver';
import { optionsFromUrl, parseRedisOptions, type RedisOptions, type RedisSettings } from './options.js';
import { RedisSession } from './session.js';

/**
 * Characteristics, against tooz's (THR, PROC, HOSTS, CAUSAL): not
 * LINEARIZABLE, and not CAUSAL either. Redis replicates asynchronously, so
 * a failover can lose writes that were acknowledged (a lock taken, a
 * member joined) and that someone already acted on; `waitReplicas` narrows
 * that window but does not close it (WAIT is not a consensus commit).
 * TTL-based: a holder that cannot refresh in time loses its hold.
 */
export const redisCapabilities = {
  name: 'redis',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'ttl',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES', 'DISTRIBUTED_ACROSS_HOSTS'],
} as const satisfies CapabilityDescriptor;

const sentinelList = (settings: RedisSettings) =>
  (settings.sentinels ?? []).map((s) => `${s.host}:${s.port ?? 26379}`).join(',');

/** Where these settings connect, for errors. */
function where(settings: RedisSettings): string {
  if (settings.sentinels) return `sentinels ${sentinelList(settings)} (${settings.sentinelMaster})`;
  return settings.path ?? `${settings.host ?? '127.0.0.1'}:${settings.port ?? 6379}`;
}

/** The URL these settings amount to, without credentials. */
function describe(settings: RedisSettings): string {
  const db = settings.db === 0 ? '' : `/${settings.db}`;
  if (settings.sentinels) return `redis+sentinel://${sentinelList(settings)}/${settings.sentinelMaster}${db}`;
  const scheme = settings.tls ? 'rediss' : 'redis';
  if (settings.path) return `${scheme}://${settings.path}`;
  return `${scheme}://${settings.host ?? '127.0.0.1'}:${settings.port ?? 6379}${db}`;
}

function build(settings: RedisSettings, description: string): Driver<typeof redisCapabilities> {
  return {
    capabilities: redisCapabilities,
    description,
    open: (context) => RedisSession.open(settings, where(settings), context),
  };
}

/**
 * A Redis driver object, for `connect(redis({...}))`: the coordinator's
 * type then lists exactly what Redis offers. `url` may stand in for the
 * address (the same forms `connect('redis://...')` takes).
 *
 * @example
 * const coordinator = await connect(redis({ host: '127.0.0.1', port: 6379 }), { memberId: 'api-7' });
 */
export function redis(options: RedisOptions & { readonly url?: string } = {}): Driver<typeof redisCapabilities> {
  const { url, ...rest } = options;
  if (url === undefined) {
    const settings = parseRedisOptions(rest);
    return build(settings, describe(settings));
  }
  const parsed = parseConnectionUrl(url);
  const fromQuery = optionsFromUrl(parsed, Object.fromEntries(parsed.params));
  return build(parseRedisOptions({ ...fromQuery, ...rest }, 's'), parsed.redacted);
}

/** For `connect('redis://...')`; query values arrive as strings (a bare duration means seconds, as in tooz). */
export function fromUrl(
  url: ConnectionUrl,
  options: Readonly<Record<string, unknown>>,
): Driver<typeof redisCapabilities> {
  return build(parseRedisOptions(optionsFromUrl(url, options), 's'), url.redacted);
}
