import type { CapabilityDescriptor, ConnectionUrl, Driver } from '@tooz/core/driver';
import { ConsulApi } from './api.js';
import { type ConsulOptions, type ConsulSettings, describe, parseConsulOptions, parseConsulUrl } from './options.js';
import { ConsulSession } from './session.js';

/** What the Consul driver offers. */
export const consulCapabilities = {
  name: 'consul',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
    'LINEARIZABLE',
  ],
} as const satisfies CapabilityDescriptor;

function driverFor(settings: ConsulSettings): Driver<typeof consulCapabilities> {
  return {
    capabilities: consulCapabilities,
    description: describe(settings),
    async open(context) {
      const api = new ConsulApi(settings, context.scheduler);
      try {
        return await ConsulSession.open(api, context, settings);
      } catch (error) {
        api.close();
        throw error;
      }
    },
  };
}

/**
 * A driver object for `connect(consul({ hosts: '127.0.0.1:8500', token }))`.
 *
 * @example
 * const coordinator = await connect(consul({ hosts: '127.0.0.1:8500' }), { memberId: 'api-7', ttl: 15_000 });
 */
export function consul(options: ConsulOptions = {}): Driver<typeof consulCapabilities> {
  return driverFor(parseConsulOptions({ ...options }));
}

/** For `connect('consul://127.0.0.1:8500?acl_token=...')`: core calls this with the URL and the options it did not take. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  return driverFor(parseConsulUrl(url, options));
}
