import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulServer, startConsul } from '../../src/servers/index.js';

// Each rule cites the Consul documentation page it comes from:
const KV = 'https://developer.hashicorp.com/consul/api-docs/kv';
const SESSION = 'https://developer.hashicorp.com/consul/api-docs/session';
const SESSIONS = 'https://developer.hashicorp.com/consul/docs/automate/session';
const BLOCKING = 'https://developer.hashicorp.com/consul/api-docs/features/blocking';
const STATUS = 'https://developer.hashicorp.com/consul/api-docs/status';
const AGENT = 'https://developer.hashicorp.com/consul/api-docs/agent';

let server: ConsulServer;
beforeAll(async () => {
  server = await startConsul({ sessionTtlMin: '1s' });
});
afterAll(async () => {
  await server?.close();
});

let counter = 0;
const fresh = (prefix = 'k') => `t${++counter}/${prefix}`;

async function call(method: string, path: string, body?: string | object) {
  const response = await fetch(`${server.address}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const index = response.headers.get('x-consul-index');
  return { status: response.status, text, json, index: index === null ? undefined : Number(index) };
}

interface Entry {
  Key: string;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Flags: number;
  Value: string | null;
  Session?: string;
}
const entry = async (key: string) => ((await call('GET', `/v1/kv/${key}`)).json as Entry[] | undefined)?.[0];
const session = async (fields: object = {}) =>
  ((await call('PUT', '/v1/session/create', { LockDelay: '0s', ...fields })).json as { ID: string }).ID;

describe(`KV (${KV})`, () => {
  it('a missing key is a 404 with X-Consul-Index; a put creates it with base64 Value and Flags', async () => {
    const key = fresh();
    const missing = await call('GET', `/v1/kv/${key}`);
    expect(missing.status).toBe(404);
    expect(missing.index).toBeGreaterThan(0);
    expect((await call('PUT', `/v1/kv/${key}?flags=42`, 'hello')).json).toBe(true);
    const got = await call('GET', `/v1/kv/${key}`);
    const [e] = got.json as Entry[];
    expect(e).toMatchObject({ Key: key, Flags: 42, LockIndex: 0, Value: Buffer.from('hello').toString('base64') });
    expect(e?.CreateIndex).toBe(e?.ModifyIndex);
    expect(got.index).toBe(e?.ModifyIndex);
    expect((await call('GET', `/v1/kv/${key}?raw`)).text).toBe('hello');
  });

  it('cas=0 puts only a missing key; cas=N only at ModifyIndex N', async () => {
    const key = fresh();
    expect((await call('PUT', `/v1/kv/${key}?cas=0`, 'a')).json).toBe(true);
    expect((await call('PUT', `/v1/kv/${key}?cas=0`, 'b')).json).toBe(false);
    const e = await entry(key);
    expect((await call('PUT', `/v1/kv/${key}?cas=${(e?.ModifyIndex ?? 0) + 100}`, 'c')).json).toBe(false);
    expect((await call('PUT', `/v1/kv/${key}?cas=${e?.ModifyIndex}`, 'd')).json).toBe(true);
    const after = await entry(key);
    expect(after?.Value).toBe(Buffer.from('d').toString('base64'));
    expect(after?.CreateIndex).toBe(e?.CreateIndex);
    expect(after?.ModifyIndex).toBeGreaterThan(e?.ModifyIndex ?? 0);
  });

  it('recurse lists a prefix; keys with a separator stops at it; the index is the highest under the prefix', async () => {
    const base = fresh('dir');
    for (const k of ['a', 'b/c', 'b/d']) await call('PUT', `/v1/kv/${base}/${k}`, k);
    const listed = await call('GET', `/v1/kv/${base}/?recurse`);
    const entries = listed.json as Entry[];
    expect(entries.map((e) => e.Key)).toEqual([`${base}/a`, `${base}/b/c`, `${base}/b/d`]);
    expect(listed.index).toBe(Math.max(...entries.map((e) => e.ModifyIndex)));
    expect((await call('GET', `/v1/kv/${base}/?keys&separator=/`)).json).toEqual([`${base}/a`, `${base}/b/`]);
    expect((await call('GET', `/v1/kv/${base}/?keys`)).json).toEqual([`${base}/a`, `${base}/b/c`, `${base}/b/d`]);
    expect((await call('GET', `/v1/kv/${fresh('none')}/?recurse`)).status).toBe(404);
  });

  it('delete: one key, a prefix with recurse, and with cas only at ModifyIndex (never 0)', async () => {
    const base = fresh('del');
    for (const k of ['a', 'b', 'c/d']) await call('PUT', `/v1/kv/${base}/${k}`, k);
    const a = await entry(`${base}/a`);
    expect((await call('DELETE', `/v1/kv/${base}/a?cas=0`)).json).toBe(false);
    expect((await call('DELETE', `/v1/kv/${base}/a?cas=${(a?.ModifyIndex ?? 0) + 1}`)).json).toBe(false);
    expect((await call('DELETE', `/v1/kv/${base}/a?cas=${a?.ModifyIndex}`)).json).toBe(true);
    expect((await call('DELETE', `/v1/kv/${base}/b`)).json).toBe(true);
    expect(await entry(`${base}/b`)).toBeUndefined();
    expect((await call('DELETE', `/v1/kv/${base}/?recurse`)).json).toBe(true);
    expect((await call('GET', `/v1/kv/${base}/?recurse`)).status).toBe(404);
  });

  it('values above 512 KB are refused', async () => {
    expect((await call('PUT', `/v1/kv/${fresh()}`, 'x'.repeat(512 * 1024 + 1))).status).toBe(413);
  });

  it('acquire takes a free key (LockIndex+1, Session set), refuses a held one, re-acquire by the holder keeps LockIndex', async () => {
    const key = fresh();
    const [s1, s2] = [await session(), await session()];
    expect((await call('PUT', `/v1/kv/${key}?acquire=${s1}`, 'one')).json).toBe(true);
    expect(await entry(key)).toMatchObject({ LockIndex: 1, Session: s1 });
    expect((await call('PUT', `/v1/kv/${key}?acquire=${s2}`, 'two')).json).toBe(false);
    expect((await call('PUT', `/v1/kv/${key}?acquire=${s1}`, 'again')).json).toBe(true);
    expect(await entry(key)).toMatchObject({
      LockIndex: 1,
      Session: s1,
      Value: Buffer.from('again').toString('base64'),
    });
    // A put without acquire proceeds even on a locked key, and keeps the lock.
    expect((await call('PUT', `/v1/kv/${key}`, 'plain')).json).toBe(true);
    expect(await entry(key)).toMatchObject({ Session: s1, LockIndex: 1 });
  });

  it('release: only by the holding session; clears Session, keeps LockIndex; the next acquire increments it', async () => {
    const key = fresh();
    const [s1, s2] = [await session(), await session()];
    await call('PUT', `/v1/kv/${key}?acquire=${s1}`, 'x');
    expect((await call('PUT', `/v1/kv/${key}?release=${s2}`, '')).json).toBe(false);
    expect((await call('PUT', `/v1/kv/${key}?release=${s1}`, '')).json).toBe(true);
    const released = await entry(key);
    expect(released?.Session).toBeUndefined();
    expect(released?.LockIndex).toBe(1);
    expect((await call('PUT', `/v1/kv/${key}?acquire=${s2}`, 'y')).json).toBe(true);
    expect(await entry(key)).toMatchObject({ LockIndex: 2, Session: s2 });
  });

  it('acquire with a session that does not exist is an error', async () => {
    const reply = await call('PUT', `/v1/kv/${fresh()}?acquire=00000000-0000-0000-0000-000000000000`, 'x');
    expect(reply.status).toBe(500);
    expect(reply.text).toMatch(/invalid session/i);
  });
});

describe(`sessions (${SESSION}, ${SESSIONS})`, () => {
  it('create, info, list, renew, destroy', async () => {
    const id = await session({ Name: 'svc', TTL: '15s', Behavior: 'delete' });
    const info = (await call('GET', `/v1/session/info/${id}`)).json as Array<Record<string, unknown>>;
    expect(info[0]).toMatchObject({ ID: id, Name: 'svc', TTL: '15s', Behavior: 'delete', LockDelay: 0 });
    expect(((await call('GET', '/v1/session/list')).json as Array<{ ID: string }>).map((s) => s.ID)).toContain(id);
    expect((await call('PUT', `/v1/session/renew/${id}`)).json).toMatchObject([{ ID: id }]);
    expect((await call('PUT', `/v1/session/destroy/${id}`)).json).toBe(true);
    expect((await call('GET', `/v1/session/info/${id}`)).json).toEqual([]);
    const renew = await call('PUT', `/v1/session/renew/${id}`);
    expect(renew.status).toBe(404);
    // Destroy is idempotent.
    expect((await call('PUT', `/v1/session/destroy/${id}`)).json).toBe(true);
  });

  it('defaults: behaviour release, lock-delay 15 s (nanoseconds in answers), the agent node, serfHealth', async () => {
    const id = ((await call('PUT', '/v1/session/create')).json as { ID: string }).ID;
    const [info] = (await call('GET', `/v1/session/info/${id}`)).json as Array<Record<string, unknown>>;
    expect(info).toMatchObject({ Behavior: 'release', LockDelay: 15_000_000_000, NodeChecks: ['serfHealth'] });
    await call('PUT', `/v1/session/destroy/${id}`);
  });

  it('body fields match case-insensitively, as Go decodes JSON (python-consul sends name, ttl, behavior)', async () => {
    const id = (
      (await call('PUT', '/v1/session/create', { name: 'py', ttl: '15s', behavior: 'delete' })).json as {
        ID: string;
      }
    ).ID;
    const [info] = (await call('GET', `/v1/session/info/${id}`)).json as Array<Record<string, unknown>>;
    expect(info).toMatchObject({ Name: 'py', TTL: '15s', Behavior: 'delete' });
    await call('PUT', `/v1/session/destroy/${id}`);
  });

  it('a TTL outside [session_ttl_min, 24h], a bad behaviour, lock-delay over 60 s or an unknown check are refused', async () => {
    expect((await call('PUT', '/v1/session/create', { TTL: '500ms' })).text).toMatch(/Invalid Session TTL/);
    expect((await call('PUT', '/v1/session/create', { TTL: '25h' })).status).toBe(500);
    expect((await call('PUT', '/v1/session/create', { Behavior: 'explode' })).status).toBe(500);
    expect((await call('PUT', '/v1/session/create', { LockDelay: '61s' })).status).toBe(500);
    expect((await call('PUT', '/v1/session/create', { Checks: ['nope'] })).status).toBe(500);
  });

  it('invalidation with behaviour release unlocks held keys (ModifyIndex bumped), delete removes them', async () => {
    const [kept, gone] = [fresh(), fresh()];
    const release = await session({ Behavior: 'release' });
    const del = await session({ Behavior: 'delete' });
    await call('PUT', `/v1/kv/${kept}?acquire=${release}`, 'x');
    await call('PUT', `/v1/kv/${gone}?acquire=${del}`, 'x');
    const before = await entry(kept);
    await call('PUT', `/v1/session/destroy/${release}`);
    await call('PUT', `/v1/session/destroy/${del}`);
    const after = await entry(kept);
    expect(after?.Session).toBeUndefined();
    expect(after?.LockIndex).toBe(1);
    expect(after?.ModifyIndex).toBeGreaterThan(before?.ModifyIndex ?? 0);
    expect(await entry(gone)).toBeUndefined();
  });

  it('lock-delay blocks re-acquisition after an invalidation, not after a release', async () => {
    const [key, other] = [fresh(), fresh()];
    const holder = await session({ LockDelay: '60s' });
    const next = await session();
    await call('PUT', `/v1/kv/${key}?acquire=${holder}`, 'x');
    await call('PUT', `/v1/kv/${other}?acquire=${holder}`, 'x');
    await call('PUT', `/v1/kv/${other}?release=${holder}`, '');
    await call('PUT', `/v1/session/destroy/${holder}`);
    expect((await call('PUT', `/v1/kv/${key}?acquire=${next}`, 'y')).json).toBe(false);
    expect((await call('PUT', `/v1/kv/${other}?acquire=${next}`, 'y')).json).toBe(true);
  });

  it('a TTL session is invalidated once its TTL (times the multiplier) passes without a renew; a renew resets it', async () => {
    await using strict = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
    const create = async () =>
      (
        (await (
          await fetch(`${strict.address}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '1s' }) })
        ).json()) as { ID: string }
      ).ID;
    const renewed = await create();
    const idle = await create();
    const alive = (id: string) => strict.sessions().some((s) => s.ID === id);
    // Renew `renewed` every 300 ms while waiting for `idle` to be invalidated: no timed assertion, only an order.
    while (alive(idle)) {
      await fetch(`${strict.address}/v1/session/renew/${renewed}`, { method: 'PUT' });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(alive(renewed)).toBe(true);
  });
});

describe(`blocking queries (${BLOCKING})`, () => {
  it('a query with an index hangs until the index passes it, then answers with the new X-Consul-Index', async () => {
    const key = fresh();
    await call('PUT', `/v1/kv/${key}`, 'a');
    const first = await call('GET', `/v1/kv/${key}`);
    let answered = false;
    const blocked = call('GET', `/v1/kv/${key}?index=${first.index}&wait=30s`).then((reply) => {
      answered = true;
      return reply;
    });
    // An unrelated key's write does not wake it.
    await call('PUT', `/v1/kv/${fresh()}`, 'noise');
    await call('GET', '/v1/status/leader');
    expect(answered).toBe(false);
    await call('PUT', `/v1/kv/${key}`, 'b');
    const reply = await blocked;
    expect(reply.index).toBeGreaterThan(first.index ?? 0);
    expect((reply.json as Entry[])[0]?.Value).toBe(Buffer.from('b').toString('base64'));
  });

  it('a prefix query wakes on any change under the prefix, deletes included (tombstones)', async () => {
    const base = fresh('watch');
    await call('PUT', `/v1/kv/${base}/a`, 'a');
    await call('PUT', `/v1/kv/${base}/b`, 'b');
    const first = await call('GET', `/v1/kv/${base}/?recurse`);
    const blocked = call('GET', `/v1/kv/${base}/?recurse&index=${first.index}&wait=30s`);
    await call('DELETE', `/v1/kv/${base}/a`);
    const reply = await blocked;
    expect(reply.index).toBeGreaterThan(first.index ?? 0);
    expect((reply.json as Entry[]).map((e) => e.Key)).toEqual([`${base}/b`]);
  });

  it('the wait runs out with the same index: the return of a blocking request is no guarantee of a change', async () => {
    const key = fresh();
    await call('PUT', `/v1/kv/${key}`, 'a');
    const first = await call('GET', `/v1/kv/${key}`);
    const reply = await call('GET', `/v1/kv/${key}?index=${first.index}&wait=200ms`);
    expect(reply.status).toBe(200);
    expect(reply.index).toBe(first.index);
  });

  it('the index can go backwards: deleting the highest key once tombstones are reaped, or losing the data', async () => {
    const base = fresh('back');
    await call('PUT', `/v1/kv/${base}/a`, 'a');
    await call('PUT', `/v1/kv/${base}/b`, 'b');
    await call('DELETE', `/v1/kv/${base}/b`);
    const withTombstone = await call('GET', `/v1/kv/${base}/?recurse`);
    server.reapTombstones();
    const reaped = await call('GET', `/v1/kv/${base}/?recurse`);
    expect(reaped.index).toBeLessThan(withTombstone.index ?? 0);
    await using lost = await startConsul();
    for (let i = 0; i < 5; i++) await fetch(`${lost.address}/v1/kv/x${i}`, { method: 'PUT', body: 'v' });
    const before = Number((await fetch(`${lost.address}/v1/kv/x4`)).headers.get('x-consul-index'));
    await lost.restart({ keepState: false });
    let answer: Response;
    try {
      answer = await fetch(`${lost.address}/v1/kv/x4`);
    } catch {
      // The restart closed the pooled connection.
      answer = await fetch(`${lost.address}/v1/kv/x4`);
    }
    const after = Number(answer.headers.get('x-consul-index'));
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThan(0);
  });

  it('session info and list block too, on the sessions index', async () => {
    const first = await call('GET', '/v1/session/list');
    const blocked = call('GET', `/v1/session/list?index=${first.index}&wait=30s`);
    const id = await session();
    const reply = await blocked;
    expect(reply.index).toBeGreaterThan(first.index ?? 0);
    expect((reply.json as Array<{ ID: string }>).map((s) => s.ID)).toContain(id);
  });
});

describe(`agent and status (${AGENT}, ${STATUS})`, () => {
  it('agent/self names the datacenter and node; status/leader names the leader', async () => {
    const self = (await call('GET', '/v1/agent/self')).json as { Config: Record<string, unknown> };
    expect(self.Config).toMatchObject({ Datacenter: 'dc1', NodeName: expect.any(String) });
    expect((await call('GET', '/v1/status/leader')).json).toMatch(/:\d+$/);
  });

  it('another datacenter has no path', async () => {
    expect((await call('GET', `/v1/kv/${fresh()}?dc=elsewhere`)).text).toMatch(/No path to datacenter/);
  });
});
