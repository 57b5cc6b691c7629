import { connect } from '@tooz/core';
import { type ConsulServer, ProxiedMembers, startConsul } from '@tooz/testing';
import { afterAll } from 'vitest';

/** Where the suite runs: a real Consul named by CONSUL_HTTP_ADDR (and CONSUL_HTTP_TOKEN), else the compatible server. */
export interface ConsulEndpoint {
  readonly real: boolean;
  /** `http(s)://host:port` */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  /** Session TTL for the suite: a real Consul refuses less than its session_ttl_min (10 s by default). */
  readonly ttl: number;
}

/**
 * The endpoint the environment selects: CONSUL_HTTP_ADDR as the Consul CLI
 * reads it (`host:port` or `http(s)://host:port`), or undefined.
 */
export function selectEndpoint(env: Readonly<Record<string, string | undefined>>): ConsulEndpoint | undefined {
  const given = env.CONSUL_HTTP_ADDR?.trim();
  if (!given) return undefined;
  const tls = /^https:\/\//i.test(given) || /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  const url = new URL(/^https?:\/\//i.test(given) ? given : `${tls ? 'https' : 'http'}://${given}`);
  const port = Number(url.port || (tls ? 8501 : 8500));
  return {
    real: true,
    address: `${url.protocol}//${url.hostname}:${port}`,
    host: url.hostname,
    port,
    token: env.CONSUL_HTTP_TOKEN || undefined,
    ttl: 10_000,
  };
}

/** Destroys every session a member's coordinator made (they are named after it), through the HTTP API. */
export async function destroySessionsOf(endpoint: Pick<ConsulEndpoint, 'address' | 'token'>, memberId: string) {
  const headers: Record<string, string> = endpoint.token ? { 'X-Consul-Token': endpoint.token } : {};
  const list = (await (await fetch(`${endpoint.address}/v1/session/list`, { headers })).json()) as Array<{
    ID: string;
    Name: string;
  }>;
  const mine = list.filter((session) => session.Name === memberId);
  for (const { ID } of mine) await fetch(`${endpoint.address}/v1/session/destroy/${ID}`, { method: 'PUT', headers });
  return mine.length;
}

export interface ConsulTarget extends ConsulEndpoint {
  /** The compatible server, when no real one was selected. */
  readonly server: ConsulServer | undefined;
  /** Coordinators behind fault proxies of their own. */
  readonly members: ProxiedMembers;
  expire(memberId: string): Promise<void>;
}

/** The suite's Consul for one test file, closed after it. */
export async function consulTarget(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: Readonly<Record<string, unknown>> = {},
): Promise<ConsulTarget> {
  const real = selectEndpoint(env);
  // A TTL of 1 s is accepted (session_ttl_min), and sessions die at 1x TTL: no slack for the driver to lean on.
  const server = real ? undefined : await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
  const endpoint: ConsulEndpoint = real ?? {
    real: false,
    address: server?.address ?? '',
    host: server?.host ?? '',
    port: server?.port ?? 0,
    token: undefined,
    ttl: 2_000,
  };
  const scheme = endpoint.address.startsWith('https') ? 'consul+https' : 'consul';
  const members = new ProxiedMembers(endpoint, (proxy, given) =>
    connect(`${scheme}://${proxy.address}`, {
      ...(endpoint.token ? { token: endpoint.token } : {}),
      ...options,
      ...given,
    }),
  );
  afterAll(async () => {
    await members.close();
    await server?.close();
  });
  return {
    ...endpoint,
    server,
    members,
    expire: async (memberId) => void (await destroySessionsOf(endpoint, memberId)),
  };
}
