import {
  type DriverSession,
  type GroupBackend,
  type GroupChange,
  type LockBackend,
  type LockKey,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import { redis } from '@tooz/driver-redis';
import { driverContext, type RedisServer, startRedis, waitUntil } from '@tooz/testing';
import { firstValueFrom, from, type ObservableInput } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// These tests speak the driver's SPI (what core calls), so that a request can
// be replayed with an old handle after a newer hold exists: what a request
// held on a dead connection, or sent twice, does when it finally runs.

const TTL = 30_000;
let server: RedisServer;
const sessions: DriverSession[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterEach(async () => {
  await Promise.allSettled(sessions.splice(0).map((s) => firstValueFrom(from(s.close()), { defaultValue: undefined })));
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
const ask = <T>(input: ObservableInput<T>): Promise<T> => firstValueFrom(from(input));

async function session(memberId: string): Promise<{ groups: GroupBackend; locks: LockBackend }> {
  const opened = await ask(redis({ url: server.url }).open(driverContext({ memberId, ttl: TTL })));
  sessions.push(opened);
  const { groups, locks } = opened;
  if (!groups || !locks) throw new Error('the redis driver offers groups and locks');
  return { groups, locks };
}

describe('a request of an older hold that reaches the server after a newer hold of the same member', () => {
  it('leave, refresh and update of the old membership leave the new one alone', async () => {
    const memberId = unique('m');
    const { groups } = await session(memberId);
    const group = unique('group');
    await ask(groups.create(group));
    const events: GroupChange[] = [];
    const watching = groups.watch(group).subscribe((change) => events.push(change));

    const first = await ask(groups.join(group, Uint8Array.of(1), { ttl: TTL }));
    await ask(groups.leave(group, first));
    const second = await ask(groups.join(group, Uint8Array.of(2), { ttl: TTL }));
    let secondLost = 0;
    second.lost$?.subscribe({ next: () => secondLost++, error: () => secondLost++ });

    // The first membership's requests, late: they find a membership that is not theirs.
    await expect(ask(groups.leave(group, first))).rejects.toBeInstanceOf(MemberNotJoinedError);
    expect(await ask(groups.refresh?.(group, first, { ttl: TTL }) ?? [false])).toBe(false);
    await expect(ask(groups.update(group, first, Uint8Array.of(3)))).rejects.toBeInstanceOf(MemberNotJoinedError);

    // The second membership is intact: listed with its own capabilities, and still refreshable.
    expect((await ask(groups.members(group))).get(memberId)).toEqual(Uint8Array.of(2));
    expect(await ask(groups.refresh?.(group, second, { ttl: TTL }) ?? [false])).toBe(true);
    expect(secondLost).toBe(0);

    // Watchers heard the real changes only: a marker member's join closes the list.
    const { groups: other } = await session(unique('marker'));
    await ask(other.join(group, Uint8Array.of(9), { ttl: TTL }));
    await waitUntil(() => events.length >= 4, 20_000, 'the marker join heard');
    expect(events.map((e) => e.type)).toEqual(['joined', 'left', 'joined', 'joined']);
    watching.unsubscribe();
  });

  it('release and refresh of an old lock hold leave the new hold alone', async () => {
    const { locks } = await session(unique('m'));
    const key: LockKey = { kind: 'lock', name: unique('lock') };
    const firstTry = await ask(locks.tryAcquire(key, { ttl: TTL }));
    if (!firstTry.acquired) throw new Error('the lock was free');
    expect(await ask(locks.release(key, firstTry.handle))).toBe(true);
    const secondTry = await ask(locks.tryAcquire(key, { ttl: TTL }));
    if (!secondTry.acquired) throw new Error('the lock was free');

    expect(await ask(locks.release(key, firstTry.handle))).toBe(false);
    expect(await ask(locks.refresh?.(key, firstTry.handle, { ttl: TTL }) ?? [true])).toBe(false);
    expect((await ask(locks.holder(key)))?.token).toBe(secondTry.handle.token);
    expect(await ask(locks.release(key, secondTry.handle))).toBe(true);
  });
});
