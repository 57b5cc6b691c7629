import type { CapabilityDescriptor, ConnectionUrl, Driver, DriverContext } from '@tooz/core/driver';
import { createClient } from './client.js';
import { EtcdKeys } from './keys.js';
import { describe, type EtcdOptions, type EtcdSettings, parseEtcdOptions, parseEtcdUrl } from './options.js';
import { EtcdRpc } from './rpc.js';
import { EtcdSession } from './session.js';
import { EtcdSessionLease } from './session-lease.js';

/** What the etcd driver offers. */
export const etcdCapabilities = {
  name: 'etcd',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
    'LINEARIZABLE',
    'SEQUENTIAL',
    'SAME_VIEW_UNDER_PARTITIONS',
  ],
} as const satisfies CapabilityDescriptor;

function driverFor(settings: EtcdSettings): Driver<typeof etcdCapabilities> {
  return {
    capabilities: etcdCapabilities,
    description: describe(settings),
    async open(context: DriverContext): Promise<EtcdSession> {
      const client = createClient(settings, context.scheduler);
      const rpc = new EtcdRpc(client, context.scheduler, settings.requestTimeout);
      try {
        // etcd grants leases without asking who wants one: a read proves the credentials (or their absence) first.
        const keys = new EtcdKeys(context.namespace);
        await rpc.range({ key: keys.groupsPrefix, count_only: true }, 'connect');
        const lease = await EtcdSessionLease.open(rpc, context.ttl);
        return new EtcdSession(client, rpc, lease, keys, context, settings.lockMode);
      } catch (error) {
        client.close();
        throw error;
      }
    },
  };
}

/**
 * A driver object for `connect(etcd({ hosts: ['h1:2379', 'h2:2379'] }))`.
 *
 * @example
 * const coordinator = await connect(etcd({ hosts: '127.0.0.1:2379' }), { memberId: 'api-7', ttl: 10_000 });
 */
export function etcd(options: EtcdOptions = {}): Driver<typeof etcdCapabilities> {
  return driverFor(parseEtcdOptions({ ...options }));
}

/** For `connect('etcd://h1:2379,h2:2379')`: core calls this with the URL and the options it did not take. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  return driverFor(parseEtcdUrl(url, options));
}
