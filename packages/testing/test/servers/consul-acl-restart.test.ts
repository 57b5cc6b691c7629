import { describe, expect, it } from 'vitest';
import { startConsul, startFaultProxy } from '../../src/servers/index.js';

/** A restart closes every connection, pooled ones too: the first request after it may meet a closed socket. */
async function again(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

// https://developer.hashicorp.com/consul/api-docs/api-structure#authentication
describe('ACL tokens (https://developer.hashicorp.com/consul/api-docs/api-structure#authentication)', () => {
  it('refuses a request without a token (403 Permission denied) or with an unknown one (403 ACL not found)', async () => {
    await using server = await startConsul({ aclTokens: ['s3cret'] });
    const none = await fetch(`${server.address}/v1/kv/x`);
    expect(none.status).toBe(403);
    expect(await none.text()).toMatch(/Permission denied/);
    const wrong = await fetch(`${server.address}/v1/kv/x`, { headers: { 'X-Consul-Token': 'nope' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toMatch(/ACL not found/);
    expect(await wrong.text().catch(() => '')).not.toContain('nope');
  });

  it('accepts the token in X-Consul-Token, as a Bearer token, or as ?token=; status endpoints need none', async () => {
    await using server = await startConsul({ aclTokens: ['s3cret'] });
    const put = await fetch(`${server.address}/v1/kv/x`, {
      method: 'PUT',
      body: 'v',
      headers: { 'X-Consul-Token': 's3cret' },
    });
    expect(await put.json()).toBe(true);
    expect((await fetch(`${server.address}/v1/kv/x`, { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(
      200,
    );
    expect((await fetch(`${server.address}/v1/kv/x?token=s3cret`)).status).toBe(200);
    expect((await fetch(`${server.address}/v1/status/leader`)).status).toBe(200);
  });
});

describe('restart and faults', () => {
  it('restart keeping state keeps keys and sessions (TTL timers start afresh, as on a new leader)', async () => {
    await using server = await startConsul({ sessionTtlMin: '1s' });
    const { ID } = (await (
      await fetch(`${server.address}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '10s' }) })
    ).json()) as { ID: string };
    await fetch(`${server.address}/v1/kv/k?acquire=${ID}`, { method: 'PUT', body: 'v' });
    await server.restart({ keepState: true });
    expect(server.entry('k')?.Session).toBe(ID);
    expect((await again(`${server.address}/v1/session/renew/${ID}`, { method: 'PUT' })).status).toBe(200);
  });

  it('restart without state loses everything: keys, sessions', async () => {
    await using server = await startConsul();
    const { ID } = (await (await fetch(`${server.address}/v1/session/create`, { method: 'PUT' })).json()) as {
      ID: string;
    };
    await fetch(`${server.address}/v1/kv/k`, { method: 'PUT', body: 'v' });
    await server.restart({ keepState: false });
    expect((await again(`${server.address}/v1/kv/k`)).status).toBe(404);
    expect((await fetch(`${server.address}/v1/session/renew/${ID}`, { method: 'PUT' })).status).toBe(404);
  });

  it('a restart ends blocking queries in flight (the connection closes)', async () => {
    await using server = await startConsul();
    await fetch(`${server.address}/v1/kv/k`, { method: 'PUT', body: 'v' });
    const index = (await fetch(`${server.address}/v1/kv/k`)).headers.get('x-consul-index');
    const blocked = fetch(`${server.address}/v1/kv/k?index=${index}&wait=60s`).then(
      () => 'answered',
      () => 'failed',
    );
    await server.restart({ keepState: true });
    expect(await blocked).toBe('failed');
  });

  it('works behind the fault proxy, and TLS with the test CA', async () => {
    await using server = await startConsul({ tls: true });
    expect(server.url).toMatch(/^consul\+https:\/\//);
    expect(server.certs?.ca).toBeTruthy();
    await using plain = await startConsul();
    await using proxy = await startFaultProxy({ target: { host: plain.host, port: plain.port } });
    expect((await fetch(`http://${proxy.address}/v1/status/leader`)).status).toBe(200);
  });
});
