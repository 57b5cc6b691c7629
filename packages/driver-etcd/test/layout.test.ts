import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Coordinator, decodeCapabilities, type MembershipEvent } from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@tooz/testing';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, admin, open } = await etcdPerFile();

async function coordinator(options: { namespace?: string } = {}): Promise<Coordinator> {
  const c = await direct(server, { memberId: uid('m'), ttl: 10_000, ...options });
  open.push(c);
  return c;
}

async function keys(prefix: string): Promise<Map<string, Buffer>> {
  const start = Buffer.from(prefix);
  const end = Buffer.from(start);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const { kvs } = await admin.kv.range({ key: start, range_end: end });
  return new Map(kvs.map((kv) => [kv.key.toString(), kv.value]));
}

const joined = (c: Coordinator, group: string, capabilities?: unknown) =>
  new Promise<{ unsubscribe(): void }>((resolve, reject) => {
    const subscription = c
      .group(group)
      .join(capabilities)
      .subscribe({ next: () => resolve(subscription), error: reject });
  });

describe('key layout', () => {
  it("stores groups and members where Python tooz's etcd3gw driver does", async () => {
    const a = await coordinator();
    const group = uid('g');
    await a.group(group).create();
    const membership = await joined(a, group, { weight: 2 });
    const stored = await keys(`tooz/groups/${group}/`);
    // The group key holds its own name; the member key msgpack capabilities, on the session lease.
    expect(stored.get(`tooz/groups/${group}/`)?.toString()).toBe(`tooz/groups/${group}/`);
    expect(decodeCapabilities(stored.get(`tooz/groups/${group}/${a.memberId}`) ?? Buffer.alloc(0))).toEqual({
      weight: 2,
    });
    const { kvs } = await admin.kv.range({ key: Buffer.from(`tooz/groups/${group}/${a.memberId}`) });
    expect(kvs[0]?.lease).not.toBe('0');
    membership.unsubscribe();
  });

  it('queues lock entries and leader seats under their own prefixes, valued with the member id', async () => {
    const a = await coordinator({ namespace: 'billing' });
    const name = uid('lock');
    const lease = await a.acquire(name);
    const entries = await keys(`billing/locks/${name}/`);
    expect([...entries.values()].map((v) => v.toString())).toEqual([a.memberId]);
    const seat = a.leadership(name).subscribe();
    await a.leadership(name).whenLeading();
    expect([...(await keys(`billing/leaders/${name}/`)).values()].map((v) => v.toString())).toEqual([a.memberId]);
    // A lock and a leader seat with the same name never meet; nothing lands under tooz/.
    expect([...(await keys('tooz/')).keys()].some((k) => k.includes(name))).toBe(false);
    seat.unsubscribe();
    await lease.release();
  });

  it('escapes "/" and "%" so that every id is one path segment, and lists only groups', async () => {
    const a = await coordinator();
    const base = uid('g');
    const tricky = [`${base}/child`, `${base}%2F`, `${base}`];
    for (const group of tricky) await a.group(group).create();
    const membership = await joined(a, `${base}/child`);
    expect([...(await keys(`tooz/groups/${base}%2Fchild/`)).keys()]).toEqual([
      `tooz/groups/${base}%2Fchild/`,
      `tooz/groups/${base}%2Fchild/${a.memberId}`,
    ]);
    const listed = (await a.groups()).filter((g) => g.startsWith(base));
    expect(listed.sort()).toEqual([...tricky].sort());
    expect([...(await a.group(base).members()).keys()]).toEqual([]);
    membership.unsubscribe();
  });
});

const python = fileURLToPath(new URL('./python/tooz_etcd.py', import.meta.url));
const pythonUrl = () => `etcd3+http://${server.host}:${server.port}?api_version=v3`;

async function tooz(member: string, ...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [python, pythonUrl(), member, ...args]);
  return JSON.parse(stdout);
}

describe('interoperability with Python tooz (etcd3gw driver)', () => {
  it('Python sees groups, members and capabilities written here', async () => {
    const a = await coordinator();
    const group = uid('g');
    await a.group(group).create();
    const membership = await joined(a, group, { weight: 3, zone: 'eu' });
    expect(await tooz('py-reader', 'groups')).toContain(group);
    expect(await tooz('py-reader', 'members', group)).toEqual({ [a.memberId]: { weight: 3, zone: 'eu' } });
    membership.unsubscribe();
  });

  it('a Python member joining and leaving is pushed here as events, with its capabilities', async () => {
    const a = await coordinator();
    const group = uid('g');
    await a.group(group).create();
    const events: MembershipEvent[] = [];
    const watching = a.group(group).events$.subscribe((event) => events.push(event));
    await a.group(group).members();
    const child = spawn('/usr/bin/python3', [python, pythonUrl(), 'py-member', 'join', group, '{"weight": 5}'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines: unknown[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    try {
      await waitUntil(() => lines.includes('joined'), 30_000, 'the Python member joined');
      await waitUntil(() => events.length >= 1, 20_000, 'the joined event');
      expect((await a.group(group).members()).get('py-member')).toEqual({ weight: 5 });
      child.stdin.end();
      await waitUntil(() => events.length >= 2, 30_000, 'the left event');
      expect(events).toEqual([
        { type: 'joined', groupId: group, memberId: 'py-member', capabilities: { weight: 5 } },
        { type: 'left', groupId: group, memberId: 'py-member' },
      ]);
    } finally {
      child.kill();
      watching.unsubscribe();
    }
  });
});
