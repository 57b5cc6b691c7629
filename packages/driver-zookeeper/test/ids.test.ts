import { randomUUID } from 'node:crypto';
import { type Coordinator, connect, GroupNotEmptyError, InvalidArgumentError } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { until, waitUntil } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { zookeeperBed } from './support/bed.js';

// Ids as ZooKeeper paths: escaped where they must be, refused where core refuses them, and the
// layout's own nodes (`locks`, `leader`) never taken for groups or members (tooz bug, TOOZ.md §4.5).
const bed = zookeeperBed();
const { open, subscriptions } = bed;

const suffix = () => randomUUID().slice(0, 8);

async function coordinator(memberId = `m-${suffix()}`, namespace = `ns${suffix()}`): Promise<Coordinator> {
  const c = await connect(zookeeper({ hosts: `${bed.server.host}:${bed.server.port}` }), {
    memberId,
    namespace,
    ttl: 5_000,
  });
  open.push(c);
  return c;
}

function joinNow(c: Coordinator, group: string, capabilities: unknown = null): Promise<void> {
  return new Promise((resolve, reject) => {
    subscriptions.push(
      c
        .group(group)
        .join(capabilities)
        .subscribe({ next: () => resolve(), error: reject }),
    );
  });
}

describe('ids as ZooKeeper paths', () => {
  it('stores slashes, dots, percent signs, unicode and long ids escaped, and reads them back', async () => {
    const namespace = `ns${suffix()}`;
    const c = await coordinator('mé/😀', namespace);
    const cases: Array<[string, string]> = [
      ['a/b', 'a%2Fb'],
      ['..', '%2E.'],
      ['%2F', '%252F'],
      ['中文 😀', '%E4%B8%AD%E6%96%87 %F0%9F%98%80'],
      ['y'.repeat(1024), 'y'.repeat(1024)],
    ];
    for (const [group, node] of cases) {
      await c.group(group).create();
      await joinNow(c, group, { group });
      expect(await c.groups()).toContain(group);
      expect((await c.group(group).members()).get(c.memberId)).toEqual({ group });
      // The member node is the escaped member id, under the escaped group id.
      expect(await bed.inspector.children(`/${namespace}/${node}`)).toEqual(['m%C3%A9%2F%F0%9F%98%80']);
    }
  });

  it('refuses empty and over-long ids before writing anything', async () => {
    const namespace = `ns${suffix()}`;
    const c = await coordinator(undefined, namespace);
    const before = await bed.inspector.children(`/${namespace}`);
    for (const bad of ['', 'z'.repeat(1025), 'lone\uD800']) {
      expect(() => c.group(bad)).toThrow(InvalidArgumentError);
      expect(() => c.lock(bad)).toThrow(InvalidArgumentError);
      expect(() => c.leadership(bad)).toThrow(InvalidArgumentError);
    }
    expect(await bed.inspector.children(`/${namespace}`)).toEqual(before);
    expect(await bed.inspector.childrenOrNone(`/${namespace}/locks`)).toEqual([]);
  });
});

describe("the layout's own nodes never show up as groups or members", () => {
  it('lists no `locks` group once locks exist, and a group really called `locks` is its own', async () => {
    const namespace = `ns${suffix()}`;
    const c = await coordinator(undefined, namespace);
    await (await c.acquire('some-lock')).release();
    expect(await c.groups()).toEqual([]);
    await c.group('locks').create();
    expect(await c.groups()).toEqual(['locks']);
    expect((await bed.inspector.children(`/${namespace}`)).sort()).toEqual(['%6Cocks', 'locks']);
    await c.group('locks').delete();
    expect(await c.groups()).toEqual([]);
  });

  it('lists no `leader` member after an election, and a member really called `leader` is one', async () => {
    const namespace = `ns${suffix()}`;
    const group = `g-${suffix()}`;
    const leader = await coordinator('leader', namespace);
    await leader.group(group).create();
    subscriptions.push(leader.leadership(group).subscribe());
    await until(leader.leadership(group), (v) => v, 'leadership');
    expect((await bed.inspector.children(`/${namespace}/${group}`)).sort()).toEqual(['leader']);
    expect(await leader.group(group).members()).toEqual(new Map());
    await joinNow(leader, group, { role: 'member' });
    expect([...(await leader.group(group).members()).keys()]).toEqual(['leader']);
    expect((await bed.inspector.children(`/${namespace}/${group}`)).sort()).toEqual(['%6Ceader', 'leader']);
    expect(await until(leader.leadership(group).leader$, (id) => id !== null, 'a leader')).toBe('leader');
  });

  it('deletes a group whose election is idle, and refuses while a candidate stands', async () => {
    const namespace = `ns${suffix()}`;
    const group = `g-${suffix()}`;
    const c = await coordinator(undefined, namespace);
    await c.group(group).create();
    const candidacy = c.leadership(group).subscribe();
    await until(c.leadership(group), (v) => v, 'leadership');
    expect(
      await c
        .group(group)
        .delete()
        .catch((e: unknown) => e),
    ).toBeInstanceOf(GroupNotEmptyError);
    candidacy.unsubscribe();
    await waitUntil(async () => (await bed.inspector.children(`/${namespace}/${group}/leader`)).length === 0);
    await c.group(group).delete();
    expect(await bed.inspector.childrenOrNone(`/${namespace}/${group}`)).toEqual([]);
    expect(await c.groups()).toEqual([]);
  });
});
