import type { PrimitiveName } from '../descriptor.js';

interface KnownDriver {
  readonly name: string;
  readonly packageName: string;
  readonly schemes: readonly string[];
  readonly primitives: readonly PrimitiveName[];
}

/**
 * Every driver of the project, so `connect` can name the package to install
 * for a URL and NotSupportedError can name the drivers that do support a primitive.
 */
export const KNOWN_DRIVERS: readonly KnownDriver[] = [
  {
    name: 'zookeeper',
    packageName: '@tooz/driver-zookeeper',
    schemes: ['zookeeper', 'kazoo'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'etcd',
    packageName: '@tooz/driver-etcd',
    schemes: ['etcd', 'etcds', 'etcd3', 'etcd3+http', 'etcd3+https'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'redis',
    packageName: '@tooz/driver-redis',
    schemes: ['redis', 'rediss', 'redis+sentinel'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'postgres',
    packageName: '@tooz/driver-postgres',
    schemes: ['postgres', 'postgresql'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'mysql',
    packageName: '@tooz/driver-mysql',
    schemes: ['mysql', 'mariadb'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'consul',
    packageName: '@tooz/driver-consul',
    schemes: ['consul'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'memcached',
    packageName: '@tooz/driver-memcached',
    schemes: ['memcached'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  {
    name: 'file',
    packageName: '@tooz/driver-file',
    schemes: ['file'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
  { name: 'ipc', packageName: '@tooz/driver-ipc', schemes: ['ipc'], primitives: ['locks', 'fencing'] },
  {
    name: 'memory',
    packageName: '@tooz/testing',
    schemes: ['memory'],
    primitives: ['groups', 'leadership', 'locks', 'fencing'],
  },
];

export function knownDriverForScheme(scheme: string): KnownDriver | undefined {
  return KNOWN_DRIVERS.find((driver) => driver.schemes.includes(scheme));
}

export function driversSupporting(primitive: PrimitiveName): string[] {
  return KNOWN_DRIVERS.filter((d) => d.name !== 'memory' && d.primitives.includes(primitive)).map((d) => d.name);
}
