import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Coordinator, connect, InvalidArgumentError, parseConnectionUrl } from '@tooz/core';
import { etcd, fromUrl } from '@tooz/driver-etcd';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@tooz/testing';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, admin, open } = await etcdPerFile();

async function coordinator(memberId = uid('m')): Promise<Coordinator> {
  const c = await direct(server, { memberId, ttl: 10_000 });
  open.push(c);
  return c;
}

/** Every key in etcd except this test's own session leases' bookkeeping: nothing at all is expected to change. */
async function snapshot(): Promise<string[]> {
  const { kvs } = await admin.kv.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), keys_only: true });
  return kvs.map((kv) => kv.key.toString('hex')).sort();
}

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('ids with any characters', () => {
  const odd = [
    'nul\u0000inside',
    'slash/and%percent',
    '%2F%25',
    'trailing/',
    '/',
    'émoji 😀 and 中文 and עברית',
    '\u{10FFFF}\u007f\u0001',
    'é'.repeat(512),
  ];

  it('round-trips group, member, lock and leader names exactly', async () => {
    for (const id of odd) {
      const member = await coordinator(`${id.slice(0, 100)}-member`);
      await member.group(id).create();
      const membership = member.group(id).join({ id }).subscribe();
      await waitUntil(async () => (await member.group(id).members()).size === 1, 10_000, 'joined');
      expect([...(await member.group(id).members()).entries()]).toEqual([[member.memberId, { id }]]);
      expect(await member.groups()).toContain(id);
      const lease = await member.acquire(id);
      expect(lease.name).toBe(id);
      await lease.release();
      const candidacy = member.leadership(id).subscribe();
      await member.leadership(id).whenLeading();
      expect(await firstValueFrom(member.leadership(id).leader$.pipe(filter((l) => l !== null)))).toBe(member.memberId);
      candidacy.unsubscribe();
      membership.unsubscribe();
    }
  });
});

describe('refused input writes nothing', () => {
  it('refuses empty, malformed and over-long ids before any request', async () => {
    const a = await coordinator();
    const before = await snapshot();
    for (const bad of ['', 'lone\uD800', 'x'.repeat(1025), 'é'.repeat(513)]) {
      expect(refusal(() => a.group(bad)).field).toBe('groupId');
      expect(refusal(() => a.lock(bad)).field).toBe('name');
      expect(refusal(() => a.leadership(bad)).field).toBe('groupId');
    }
    await expect(connect(etcd({ hosts: `${server.host}:${server.port}` }), { memberId: '' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('refuses capabilities that cannot be encoded, joining nothing', async () => {
    const a = await coordinator();
    const group = uid('g');
    await a.group(group).create();
    const before = await snapshot();
    expect(refusal(() => a.group(group).join({ f: () => 1 })).field.startsWith('capabilities')).toBe(true);
    expect(await snapshot()).toEqual(before);
  });
});

describe('options and URLs', () => {
  const url = (text: string) => parseConnectionUrl(text);

  // Named as written: tooz's snake_case name when the URL used it.
  it.each([
    ['etcd://h:2379?request_timeout=soon', 'options.request_timeout'],
    ['etcd://h:2379?colour=blue', 'options.colour'],
    ['etcd://h:2379?executor=forked', 'options.executor'],
    ['etcd://h:2379?protocol=gopher', 'options.protocol'],
    ['etcd://h:2379?lock_mode=fair', 'options.lock_mode'],
    ['etcd3://h:2379?cert_key=/tmp/k.pem', 'options.cert_key'],
    ['etcd://h:2379?ca_cert=/nonexistent/ca.pem', 'options.ca_cert'],
    ['etcd3+https://h:2379?cert_key=/tmp/k.pem', 'options.cert_key'],
    ['etcds://h:2379?tls=maybe', 'options.tls'],
  ])('%s is refused naming %s', (text, field) => {
    const error = refusal(() => fromUrl(url(text), Object.fromEntries(url(text).params)));
    expect(error.field).toBe(field);
  });

  it('refuses a CA for a plain-text connection, and mixed schemes', () => {
    expect(refusal(() => etcd({ hosts: 'h:2379', tls: false, caCert: '-----BEGIN CERTIFICATE-----' })).field).toBe(
      'options.caCert',
    );
    expect(refusal(() => etcd({ hosts: ['http://a:1', 'https://b:2'] })).field).toBe('options.hosts');
    expect(refusal(() => etcd({ password: 'orphan-password' })).field).toBe('options.username');
  });

  it('accepts every scheme tooz and this SDK use, describing them without credentials', () => {
    for (const [text, described] of [
      ['etcd://u:s3cret-pw@h1:2379,h2', 'etcd://h1:2379,h2:2379'],
      ['etcds://h1', 'etcds://h1:2379'],
      ['etcd3+http://h1:4001?api_version=v3', 'etcd://h1:4001'],
      ['etcd3+https://h1:4001', 'etcds://h1:4001'],
      ['etcd3://', 'etcd://127.0.0.1:2379'],
      // tooz ignores the path (every etcd driver reads only the host and port), and so does this driver.
      ['etcd://h1:2379/some/path', 'etcd://h1:2379'],
      ['etcd3+http://h1/v3/ignored?api_version=v3alpha&executor=threaded', 'etcd://h1:2379'],
      ['etcd3+https://h1:4001/?executor=sync', 'etcds://h1:4001'],
      // tooz's etcd (v2) driver: `protocol` picks http or https.
      ['etcd://h1?protocol=https', 'etcds://h1:2379'],
      ['etcd://h1?protocol=http&executor=synchronous', 'etcd://h1:2379'],
      // etcd3gw reads only its scheme; `protocol` is accepted and ignored there, as in tooz.
      ['etcd3+http://h1?protocol=https', 'etcd://h1:2379'],
      ['etcd://h1?lock_mode=tooz', 'etcd://h1:2379'],
      ['etcd://h1?lock_mode=native', 'etcd://h1:2379'],
    ] as const) {
      const driver = fromUrl(url(text), Object.fromEntries(url(text).params));
      expect(driver.description).toBe(described);
      expect(driver.capabilities.name).toBe('etcd');
    }
  });

  it("etcd3:// (tooz 3.1.0's gRPC driver) turns TLS on with a ca_cert, as python-etcd3 does", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tooz-etcd-ca-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      const text = `etcd3://h1:2379?ca_cert=${ca}`;
      expect(fromUrl(url(text), Object.fromEntries(url(text).params)).description).toBe('etcds://h1:2379');
      // etcd3gw over http never uses its CA: a CA on a plain-text URL is refused rather than ignored.
      const plain = `etcd3+http://h1:2379?ca_cert=${ca}`;
      expect(refusal(() => fromUrl(url(plain), Object.fromEntries(url(plain).params))).field).toBe('options.caCert');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("connects with every option tooz's etcd drivers take, a path included", async () => {
    const c = await connect(
      `etcd3+http://${server.host}:${server.port}/v3?api_version=v3&executor=threaded&timeout=10&lock_timeout=30&membership_timeout=30&protocol=http`,
      { memberId: uid('m') },
    );
    open.push(c);
    await (await c.acquire(uid('lock'))).release();
    const v2 = await connect(
      `etcd://${server.host}:${server.port}/some/path?protocol=http&timeout=10&lock_timeout=30`,
      {
        memberId: uid('m'),
      },
    );
    open.push(v2);
    await (await v2.acquire(uid('lock'))).release();
  });

  it("connects through connect('etcd://...') with tooz's option names", async () => {
    const c = await connect(`etcd://${server.host}:${server.port}?timeout=10&request_timeout=3`, {
      memberId: uid('m'),
    });
    open.push(c);
    expect(c.driver.name).toBe('etcd');
    await (await c.acquire(uid('lock'))).release();
  });
});
