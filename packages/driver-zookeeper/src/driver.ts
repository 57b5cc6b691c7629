import type { CapabilityDescriptor, ConnectionUrl, Driver } from '@tooz/core/driver';
import { describe, parseZookeeperOptions, type ZookeeperOptions, type ZookeeperSettings } from './options.js';
import { ZookeeperSession } from './session.js';

/** What the ZooKeeper driver offers; the same characteristics as Python tooz's zookeeper driver. */
export const zookeeperCapabilities = {
  name: 'zookeeper',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: [
    'NON_TIMEOUT_BASED',
    'DISTRIBUTED_ACROSS_THREADS',
    'DISTRIBUTED_ACROSS_PROCESSES',
    'DISTRIBUTED_ACROSS_HOSTS',
    'SEQUENTIAL',
  ],
} as const satisfies CapabilityDescriptor;

/** The ZooKeeper session of one open coordinator, as kazoo's `client_id` gives it. */
export interface ZookeeperSessionInfo {
  /** The server-assigned session id (8 bytes). */
  readonly sessionId: Buffer;
  /** The session password, which lets another client resume the session: keep it secret. */
  readonly password: Buffer;
  /** Negotiated session timeout, ms. */
  readonly timeout: number;
}

export interface ZookeeperDriver extends Driver<typeof zookeeperCapabilities> {
  /**
   * The sessions of the coordinators opened from this driver object, current
   * ones only. For fault tests and diagnostics: with the id and password, a
   * second connection can take the session over and close it (an expiry).
   */
  sessions(): readonly ZookeeperSessionInfo[];
}

function driverFor(settings: ZookeeperSettings): ZookeeperDriver {
  const open = new Set<ZookeeperSession>();
  return {
    capabilities: zookeeperCapabilities,
    description: describe(settings),
    async open(context) {
      const session = await ZookeeperSession.open(settings, context, (closed) => open.delete(closed));
      open.add(session);
      return session;
    },
    sessions: () =>
      [...open].map(({ connection: { client, sessionTimeout } }) => ({
        sessionId: client.sessionId,
        password: client.raw.getSessionPassword(),
        timeout: sessionTimeout,
      })),
  };
}

/**
 * A ZooKeeper driver object for `connect(zookeeper({...}))`.
 *
 * @example
 * const coordinator = await connect(zookeeper({ hosts: 'zk1:2181,zk2:2181', chroot: '/apps' }), { memberId: 'api-7' });
 */
export function zookeeper(options: ZookeeperOptions = {}): ZookeeperDriver {
  return driverFor(parseZookeeperOptions(options));
}

/** `connect('zookeeper://...')` and tooz's `kazoo://` land here. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): ZookeeperDriver {
  return driverFor(parseZookeeperOptions(options, url));
}
