import type { ConnectionUrl, Driver, DriverContext } from '@tooz/core';
import { etcdCapabilities } from './capabilities.js';
import { createClient } from './client.js';
import { describe, type EtcdDriverOptions, optionsFromUrl, type ResolvedOptions, resolveOptions } from './options.js';
import { EtcdRpc } from './rpc.js';
import { EtcdSession } from './session.js';
import { EtcdSessionLease } from './session-lease.js';

function driverFor(options: ResolvedOptions): Driver<typeof etcdCapabilities> {
  return {
    capabilities: etcdCapabilities,
    description: describe(options),
    async open(context: DriverContext): Promise<EtcdSession> {
      const client = createClient(options, context.scheduler);
      const rpc = new EtcdRpc(client, context.scheduler, options.requestTimeout);
      try {
        const lease = await EtcdSessionLease.open(rpc, context.ttl);
        return new EtcdSession(client, rpc, lease, context.namespace, context.memberId, options.lockMode);
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
export function etcd(options: EtcdDriverOptions = {}): Driver<typeof etcdCapabilities> {
  return driverFor(resolveOptions(options as Readonly<Record<string, unknown>>));
}

/** For `connect('etcd://h1:2379,h2:2379')`: core calls this with the URL and the options it did not take. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  return driverFor(optionsFromUrl(url, options));
}
