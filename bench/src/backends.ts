/**
 * One private server per driver, started from the @tooz/testing fixtures,
 * and coordinators connected to it by URL, as an application connects. The
 * concurrency and scale benchmarks share these; the per-driver benchmarks
 * keep their own set-up (they predate the fixtures, or need special flags).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Coordinator, type ConnectOptions, connect, type DriverModule, registerDriver } from '@tooz/core';
import * as etcdDriver from '@tooz/driver-etcd';
import * as fileDriver from '@tooz/driver-file';
import * as memcachedDriver from '@tooz/driver-memcached';
import * as mysqlDriver from '@tooz/driver-mysql';
import * as postgresDriver from '@tooz/driver-postgres';
import * as redisDriver from '@tooz/driver-redis';
import * as zookeeperDriver from '@tooz/driver-zookeeper';
import { startEtcd, startMemcached, startMysql, startPostgres, startRedis, startZookeeper } from '@tooz/testing';

export type DriverName = 'redis' | 'postgres' | 'etcd' | 'zookeeper' | 'file' | 'memcached' | 'mysql';

export interface Backend extends AsyncDisposable {
  readonly driver: DriverName;
  readonly url: string;
  /** Loopback address of the server (none for the file driver). */
  readonly host: string;
  readonly port: number;
  /** The file driver's directory (empty for the others). */
  readonly directory: string;
  connect(memberId: string, options?: ConnectOptions): Promise<Coordinator>;
}

interface Started extends AsyncDisposable {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

const SERVERS: Record<DriverName, { schemes: string[]; module: DriverModule; start: () => Promise<Started> }> = {
  redis: { schemes: ['redis'], module: redisDriver, start: () => startRedis() },
  // Room in the shared lock table for 10,000 advisory locks on one session.
  postgres: {
    schemes: ['postgres', 'postgresql'],
    module: postgresDriver,
    start: () => startPostgres({ settings: { max_locks_per_transaction: '256' } }),
  },
  etcd: { schemes: ['etcd'], module: etcdDriver, start: () => startEtcd() },
  zookeeper: { schemes: ['zookeeper'], module: zookeeperDriver, start: () => startZookeeper() },
  memcached: { schemes: ['memcached'], module: memcachedDriver, start: () => startMemcached() },
  mysql: { schemes: ['mysql', 'mariadb'], module: mysqlDriver, start: () => startMysql() },
  file: { schemes: ['file'], module: fileDriver, start: async () => startDirectory() },
};

export const DRIVERS = Object.keys(SERVERS) as DriverName[];

async function startDirectory(): Promise<Started> {
  const directory = mkdtempSync(join(tmpdir(), 'tooz-bench-'));
  return {
    url: `file://${directory}`,
    host: '',
    port: 0,
    [Symbol.asyncDispose]: async () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** Starts `driver`'s server; every coordinator connected through the result is closed with it. */
export async function startBackend(driver: DriverName): Promise<Backend> {
  const server = await SERVERS[driver].start();
  return backendOn(driver, server);
}

/** Where a backend started by another process listens: what `attachBackend` needs. */
export interface BackendAddress {
  readonly driver: DriverName;
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/** A backend another process started (see isolated.ts); disposing it closes this process's coordinators only. */
export function attachBackend(address: BackendAddress): Backend {
  return backendOn(address.driver, { ...address, [Symbol.asyncDispose]: async () => undefined });
}

function backendOn(driver: DriverName, server: Started): Backend {
  registerDriver(SERVERS[driver].schemes, SERVERS[driver].module);
  const open = new Set<Coordinator>();
  return {
    driver,
    url: server.url,
    host: server.host,
    port: server.port,
    directory: driver === 'file' ? new URL(server.url).pathname : '',
    async connect(memberId, options = {}) {
      const coordinator = await connect(server.url, { memberId, ...options });
      open.add(coordinator);
      return coordinator;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled([...open].map((c) => c.close()));
      await server[Symbol.asyncDispose]();
    },
  };
}

/**
 * The drivers of `supported` named in BENCH_DRIVERS (comma-separated), or all
 * of them. A known driver this benchmark does not cover is skipped (one
 * BENCH_DRIVERS serves a whole `pnpm bench` run); a misspelt one fails.
 */
export function chosenDrivers<D extends DriverName>(supported: readonly D[]): D[] {
  const asked = process.env.BENCH_DRIVERS?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  if (!asked) return [...supported];
  const unknown = asked.filter((d) => !(DRIVERS as readonly string[]).includes(d));
  if (unknown.length > 0)
    throw new Error(`BENCH_DRIVERS: no driver ${unknown.join(', ')} (known: ${DRIVERS.join(', ')})`);
  return supported.filter((d) => asked.includes(d));
}
