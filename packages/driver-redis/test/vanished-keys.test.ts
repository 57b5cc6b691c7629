import { connect, GroupNotFoundError, LockLostError, MembershipLostError } from '@tooz/core';
import { type RedisServer, startRedis, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLDS, type HoldName, holdThree, steadySince, type ThreeHolds } from './support/three-holds.js';
import type { Entry, Timeline } from './support/timeline.js';

// Keys that vanish under a holder without any message to it: an operator's
// DEL, HDEL or FLUSHDB (eviction and a failover without waitReplicas look the
// same to the holder). No notification arrives; the holder learns at its next
// refresh, whose script finds the key gone. These tests pin that bound by
// causal order, not by elapsed time: each loss is reported no earlier than the
// first refresh of that key after the fault reached the server, and before
// the second one did. (Times, on the one host clock: the MONITOR line and the
// refresh's reply travel on different sockets, so their arrival order in
// this process says nothing.)
const TTL = 2_000;
const PATIENCE = 20_000;

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

function holder(): Promise<ThreeHolds> {
  const memberId = unique('holder');
  return holdThree({
    connect: (options) => connect(server.url, options),
    serverUrl: server.url,
    memberId,
    ttl: TTL,
    names: { lock: unique('lock'), group: unique('group') },
  });
}

/** The hold's one loss came after the fault and no later than its first refresh after it. */
function lostAtFirstRefresh(timeline: Timeline, hold: HoldName, fault: Entry): void {
  const losses = timeline.of(hold, 'loss');
  expect(losses, hold).toHaveLength(1);
  const lostAt = losses[0]?.at ?? Number.NaN;
  const [first, second] = timeline.of(hold, 'refresh').filter((e) => e.at >= fault.at);
  expect(lostAt, hold).toBeGreaterThanOrEqual(first?.at ?? Number.NaN);
  // The next refresh is the hold taken again (a leadership's loss is recorded with that new term's grant).
  if (second) expect(lostAt, hold).toBeLessThan(second.at);
}

describe('keys deleted under a holder', () => {
  it("an operator's DEL and HDEL: each hold is lost once, at its next refresh, and taken again", async () => {
    await using three = await holder();
    const { timeline, keys, coordinator } = three;
    const fault = timeline.add('fault', '', 'DEL');
    await admin.del(keys.lock, keys.leadership);
    await admin.hdel(keys.membership, coordinator.memberId);
    await waitUntil(
      () => HOLDS.every((hold) => steadySince(timeline, hold, fault.seq, 2)),
      PATIENCE,
      'every hold taken again',
    );
    for (const hold of HOLDS) {
      expect(timeline.of(hold, 'error'), hold).toEqual([]);
      lostAtFirstRefresh(timeline, hold, fault);
    }
    expect((timeline.last('lock', 'loss')?.detail as LockLostError).reason).toBe('expired');
    expect((timeline.last('membership', 'loss')?.detail as MembershipLostError).reason).toBe('expired');
  });

  it('FLUSHDB: each hold is lost once, at its next refresh; the group went too', async () => {
    await using three = await holder();
    const { timeline } = three;
    const fault = timeline.add('fault', '', 'FLUSHDB');
    await admin.flushdb();
    await waitUntil(
      () =>
        steadySince(timeline, 'lock', fault.seq, 2) &&
        steadySince(timeline, 'leadership', fault.seq, 2) &&
        timeline.of('membership', 'error').length > 0,
      PATIENCE,
      'lock and leadership taken again, the membership not',
    );
    for (const hold of HOLDS) lostAtFirstRefresh(timeline, hold, fault);
    expect(timeline.last('lock', 'loss')?.detail).toBeInstanceOf(LockLostError);
    expect(timeline.last('membership', 'loss')?.detail).toBeInstanceOf(MembershipLostError);
    // The join that follows the loss finds no group: FLUSHDB deleted it with everything else.
    expect(timeline.of('membership', 'error').map((e) => e.detail)).toEqual([expect.any(GroupNotFoundError)]);
    expect(timeline.of('lock', 'error')).toEqual([]);
    expect(timeline.of('leadership', 'error')).toEqual([]);
  });
});
