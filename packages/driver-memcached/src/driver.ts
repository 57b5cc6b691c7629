import type { CapabilityDescriptor, ConnectionUrl, Driver } from '@tooz/core/driver';
import { optionsFromUrl, type MemcachedOptions, type MemcachedSettings, parseMemcachedOptions } from './options.js';
import { MemcachedSession } from './session.js';

/**
 * memcached offers no notifications: core re-reads holders and members
 * every `pollInterval` while someone waits or watches. Liveness is a TTL
 * that core refreshes. Keys can be evicted when memcached is full unless it
 * runs with `-M`: the README says what that means for safety.
 */
export const memcachedCapabilities = {
  name: 'memcached',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'poll',
  pollInterval: 100,
  liveness: 'ttl',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES', 'DISTRIBUTED_ACROSS_HOSTS'],
} as const satisfies CapabilityDescriptor;

function build(settings: MemcachedSettings): Driver<typeof memcachedCapabilities> {
  const scheme = settings.tls ? 'memcacheds' : 'memcached';
  return {
    capabilities: memcachedCapabilities,
    description: `${scheme}://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`,
    open: (context) => MemcachedSession.open(settings, context),
  };
}

/**
 * A memcached driver object, for `connect(memcached({...}))`.
 *
 * @example
 * const coordinator = await connect(memcached({ host: '127.0.0.1', port: 11211 }), { memberId: 'api-7' });
 */
export function memcached(options: MemcachedOptions = {}): Driver<typeof memcachedCapabilities> {
  return build(parseMemcachedOptions(options));
}

/** For `connect('memcached://host:11211?timeout=10')`; a bare duration in a URL means seconds, as in tooz. */
export function fromUrl(
  url: ConnectionUrl,
  options: Readonly<Record<string, unknown>>,
): Driver<typeof memcachedCapabilities> {
  return build(optionsFromUrl(url, options));
}
