import { connect } from '@tooz/core';
import { postgresCapabilities } from '@tooz/driver-postgres';
import { conformance } from '@tooz/testing';
import type { Client } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { adminClient, terminate } from './support/admin.js';
import { type FaultProxy, type PostgresServer, startFaultProxy, startPostgres } from './support/servers.js';

let server: PostgresServer;
let admin: Client;
/** Each member connects through its own proxy, so faults hit one member only. */
const proxies = new Map<string, Promise<FaultProxy>>();

beforeAll(async () => {
  server = await startPostgres();
  admin = await adminClient(server);
});

afterAll(async () => {
  await admin?.end();
  await Promise.all([...proxies.values()].map(async (proxy) => (await proxy).close()));
  await server?.[Symbol.asyncDispose]();
});

function proxyOf(memberId: string): Promise<FaultProxy> {
  let proxy = proxies.get(memberId);
  if (!proxy) {
    proxy = startFaultProxy({ target: { host: server.host, port: server.port } });
    proxies.set(memberId, proxy);
  }
  return proxy;
}

conformance('postgres', {
  capabilities: postgresCapabilities,
  ttl: 2_000,
  connect: async (options) => {
    const proxy = await proxyOf(options.memberId);
    return connect(proxy.via(server.url), { ...options, applicationName: options.memberId });
  },
  faults: {
    suspend: async (memberId) => (await proxyOf(memberId)).suspend(),
    resume: async (memberId) => (await proxyOf(memberId)).resume(),
    expireSession: async (memberId) => {
      await terminate(admin, memberId);
    },
  },
});
