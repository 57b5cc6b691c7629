import { TOOZ_ATTRIBUTES, TOOZ_METRICS, TOOZ_SPANS } from '@tooz/core/opentelemetry';
import { type Coordinator, connect, MembershipLostError } from '@tooz/core';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualCluster } from '../../../testing/src/marbles.js';
import { memory, MemoryServer } from '../../../testing/src/memory/index.js';
import { type Harness, ms, otelHarness } from './harness.js';

let otel: Harness;
beforeEach(() => {
  otel = otelHarness();
});
afterEach(() => otel.stop());

describe('OpenTelemetry instrumentation of groups and leadership, in virtual time', () => {
  it('counts the members of each group, and memberships lost by reason', async () => {
    // Real time: a membership kept to the end keeps refreshing, which a virtual-time run would flush for ever.
    const server = new MemoryServer();
    const [a, b] = await Promise.all([
      connect(memory({ server }), { memberId: 'a' }),
      connect(memory({ server }), { memberId: 'b' }),
    ]);
    await a.group('g').create();
    await a.group('h').create();
    const member = (coordinator: Coordinator, group: string) =>
      firstValueFrom(coordinator.group(group).members$.pipe(filter((members) => members.has(coordinator.memberId))));
    const aInG = a.group('g').join().subscribe();
    b.group('g').join().subscribe();
    await Promise.all([member(a, 'g'), member(b, 'g')]);
    // Resolves once the backend has confirmed, after the event.
    await b.group('g').leave();
    const lostInH = new Promise<unknown>((resolve) => a.group('h').join().subscribe({ error: resolve }));
    await member(a, 'h');
    server.deleteMember('h', 'a');
    expect(await lostInH).toBeInstanceOf(MembershipLostError);

    const members = await otel.points(TOOZ_METRICS.groupMembers);
    expect(members).toEqual(
      expect.arrayContaining([
        { attributes: { 'tooz.driver': 'memory', 'tooz.group.id': 'g' }, value: 1 },
        { attributes: { 'tooz.driver': 'memory', 'tooz.group.id': 'h' }, value: 0 },
      ]),
    );
    expect(members).toHaveLength(2);
    const losses = await otel.points(TOOZ_METRICS.membershipLosses);
    expect(losses).toEqual([
      { attributes: { 'tooz.driver': 'memory', 'tooz.group.id': 'h', 'tooz.loss.reason': 'stolen' }, value: 1 },
    ]);
    aInG.unsubscribe();
    await Promise.all([a.close(), b.close()]);
  });

  it('counts leadership transitions both ways, and times the wait for the seat without spans', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(() => {
      // a leads from 0; b takes the seat when a withdraws at 60, and withdraws at 80.
      const aLeads = a.leadership('l').subscribe();
      const bLeads = b.leadership('l').subscribe();
      scheduler.schedule(() => aLeads.unsubscribe(), 60);
      scheduler.schedule(() => bLeads.unsubscribe(), 80);
    });

    const transitions = await otel.points(TOOZ_METRICS.leadershipTransitions);
    const leading = (value: boolean) =>
      transitions.find((point) => point.attributes[TOOZ_ATTRIBUTES.leading] === value)?.value;
    expect(transitions.every((point) => point.attributes[TOOZ_ATTRIBUTES.groupId] === 'l')).toBe(true);
    expect([leading(true), leading(false)]).toEqual([2, 2]);

    const waits = await otel.points(TOOZ_METRICS.lockWait);
    expect(waits.map((point) => point.attributes)).toEqual([
      { 'tooz.driver': 'memory', 'tooz.lock.name': 'l', 'tooz.lock.kind': 'leader', 'tooz.lock.outcome': 'acquired' },
    ]);
    expect([waits[0]?.count, ms(waits[0]?.sum)]).toEqual([2, 0 + 60]);
    expect(otel.spans().filter((span) => span.name === TOOZ_SPANS.acquire)).toEqual([]);
  });
});
