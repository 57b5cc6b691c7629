import type { PrimitiveName } from '../descriptor.js';

interface KnownDriver {
  readonly name: string;
  readonly packageName: string;
  readonly schemes: readonly string[];
  readonly primitives: readonly PrimitiveName[];
  /** `planned`: the package is not published yet, so nobody is told to install it. */
  readonly status: 'available' | 'planned';
}

/**
 * Every driver of the project, so `connect` can name the package to install
 * for a URL and NotSupportedError can name the drivers that do support a primitive.
 */
export const KNOWN_DRIVERS: readonly KnownDriver[] = [
  {
    name: 'zookeeper',
    status: 'available',
    packageName: '@tooz/driver-zookeeper',
    schemes: ['zookeeper', 'kazoo'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'etcd',
    status: 'available',
    packageName: '@tooz/driver-etcd',
    schemes: ['etcd', 'etcds', 'etcd3', 'etcd3+http', 'etcd3+https'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'redis',
    status: 'available',
    packageName: '@tooz/driver-redis',
    schemes: ['redis', 'rediss', 'redis+sentinel'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'postgres',
    status: 'available',
    packageName: '@tooz/driver-postgres',
    schemes: ['postgres', 'postgresql'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'mysql',
    status: 'planned',
    packageName: '@tooz/driver-mysql',
    schemes: ['mysql', 'mariadb'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'consul',
    status: 'planned',
    packageName: '@tooz/driver-consul',
    schemes: ['consul'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'memcached',
    status: 'planned',
    packageName: '@tooz/driver-memcached',
    schemes: ['memcached'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'file',
    status: 'available',
    packageName: '@tooz/driver-file',
    schemes: ['file'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'ipc',
    status: 'planned',
    packageName: '@tooz/driver-ipc',
    schemes: ['ipc'],
    primitives: ['locks', 'fencing'],
  },
  {
    name: 'memory',
    status: 'available',
    packageName: '@tooz/testing',
    schemes: ['memory'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
];

export function knownDriverForScheme(scheme: string): KnownDriver | undefined {
  return KNOWN_DRIVERS.find((driver) => driver.schemes.includes(scheme));
}

/** The published drivers that offer `primitive` (never a planned one: it cannot be installed). */
export function driversSupporting(primitive: PrimitiveName): string[] {
  return KNOWN_DRIVERS.filter(
    (d) => d.name !== 'memory' && d.status === 'available' && d.primitives.includes(primitive),
  ).map((d) => d.name);
}
