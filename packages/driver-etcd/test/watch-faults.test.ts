import { decodeCapabilities, type MembershipEvent } from '@tooz/core';
import type { GroupChange } from '@tooz/core/driver';
import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@tooz/testing';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, admin, members, open, subscriptions } = await etcdPerFile();

const TTL = 10_000;

/** A watcher behind a fault proxy, the raw SPI changes it sees, and a direct writer that creates the group. */
async function setUp() {
  const group = uid('g');
  const watcher = await members.connect({ memberId: uid('watcher'), ttl: TTL });
  const writer = await direct(server, { memberId: uid('writer'), ttl: TTL });
  open.push(watcher, writer);
  await writer.group(group).create();
  const session = members.session(watcher.memberId);
  const changes: GroupChange[] = [];
  subscriptions.push(session.groups.watch(group).subscribe((change) => changes.push(change)));
  const events: MembershipEvent[] = [];
  subscriptions.push(watcher.group(group).events$.subscribe((event) => events.push(event)));
  // members() waits for the group's watch to be in place.
  await watcher.group(group).members();
  const member = async (weight: number) => {
    const coordinator = await direct(server, { memberId: uid('m'), ttl: TTL });
    open.push(coordinator);
    let membership: Subscription | undefined;
    await new Promise<void>((resolve, reject) => {
      membership = coordinator
        .group(group)
        .join({ weight })
        .subscribe({ next: () => resolve(), error: reject });
    });
    return { coordinator, leave: () => membership?.unsubscribe() };
  };
  return { group, watcher, writer, changes, events, member };
}

const summary = (changes: readonly GroupChange[]) =>
  changes.map((c) =>
    c.type === 'joined' || c.type === 'updated'
      ? `${c.type} ${c.memberId} ${JSON.stringify(decodeCapabilities(c.capabilities))}`
      : c.type === 'left'
        ? `left ${c.memberId}`
        : c.type,
  );

/** Changes made by others while the watcher cannot hear: m1 joins, m2 joins, m1 leaves, m2 updates. */
async function churn(ctx: Awaited<ReturnType<typeof setUp>>) {
  const one = await ctx.member(1);
  const two = await ctx.member(2);
  one.leave();
  await waitUntil(async () => !(await ctx.writer.group(ctx.group).members()).has(one.coordinator.memberId));
  await two.coordinator.group(ctx.group).updateCapabilities({ weight: 3 });
  return [one.coordinator.memberId, two.coordinator.memberId] as const;
}

const expected = (one: string, two: string) => [
  `joined ${one} {"weight":1}`,
  `joined ${two} {"weight":2}`,
  `left ${one}`,
  `updated ${two} {"weight":3}`,
];

describe('group watch across connection faults', () => {
  it('delivers every change made while the connection was suspended, once, in order', async () => {
    const ctx = await setUp();
    members.suspend(ctx.watcher.memberId);
    await waitUntil(() => ctx.watcher.state === 'suspended', 20_000, 'suspended');
    const [one, two] = await churn(ctx);
    members.resume(ctx.watcher.memberId);
    await waitUntil(() => ctx.changes.length >= 4, 20_000, 'four changes');
    await waitUntil(() => ctx.watcher.state === 'reconnected', 20_000, 'reconnected');
    expect(summary(ctx.changes)).toEqual(expected(one, two));
    expect(ctx.events.map((e) => `${e.type} ${e.memberId}`)).toEqual([
      `joined ${one}`,
      `joined ${two}`,
      `left ${one}`,
      `updated ${two}`,
    ]);
  });

  it('resumes from the last revision it saw after the connection is cut', async () => {
    const ctx = await setUp();
    const first = await ctx.member(0);
    await waitUntil(() => ctx.changes.length === 1, 20_000, 'the first join');
    members.cut(ctx.watcher.memberId);
    const [one, two] = await churn(ctx);
    await waitUntil(() => ctx.changes.length >= 5, 20_000, 'five changes');
    expect(summary(ctx.changes)).toEqual([`joined ${first.coordinator.memberId} {"weight":0}`, ...expected(one, two)]);
  });

  it('falls back to a fresh snapshot when the revision it would resume from was compacted', async () => {
    const ctx = await setUp();
    const stays = await ctx.member(0);
    await waitUntil(() => ctx.events.length === 1, 20_000, 'the first join');
    members.suspend(ctx.watcher.memberId);
    const [one, two] = await churn(ctx);
    const { header } = await admin.kv.range({ key: Buffer.from('x') });
    await admin.kv.compact({ revision: header.revision, physical: true });
    members.cut(ctx.watcher.memberId);
    members.resume(ctx.watcher.memberId);
    await waitUntil(() => ctx.changes.some((c) => c.type === 'resync'), 20_000, 'a resync');
    await waitUntil(() => ctx.events.length >= 2, 20_000, 'the diff');
    // History is gone: what changed is computed from two snapshots, so m1's short stay is not seen at all.
    expect(ctx.events.map((e) => `${e.type} ${e.memberId}`)).toEqual([
      `joined ${stays.coordinator.memberId}`,
      `joined ${two}`,
    ]);
    expect([...(await ctx.watcher.group(ctx.group).members()).keys()].sort()).toEqual(
      [stays.coordinator.memberId, two].sort(),
    );
    expect(one).not.toBe(two);
  });
});
