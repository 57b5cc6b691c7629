import { type Coordinator, whileLeader } from '@tooz/core';
import { NEVER, type Subscription, finalize } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type ConformanceTarget, harness, pause } from './harness.js';
import { waitUntil } from '../wait-until.js';

/** Leadership: one leader at a time, leader$ for anyone, prompt hand-over, false on suspension. */
export function leadershipConformance(target: ConformanceTarget): void {
  describe.skipIf(!target.capabilities.primitives.leadership)('leadership', () => {
    const h = harness(target);

    /** Subscribes every coordinator as a candidate and records every value each emits. */
    function candidates(coordinators: Coordinator[], group: string) {
      const values = coordinators.map(() => [] as boolean[]);
      const subscriptions: Subscription[] = coordinators.map((coordinator, i) =>
        coordinator.leadership(group).subscribe((leading) => values[i]?.push(leading)),
      );
      const leaders = () => coordinators.filter((c) => c.leadership(group).value).map((c) => c.memberId);
      return { values, subscriptions, leaders };
    }

    it('elects a lone candidate, with BehaviorSubject semantics', async () => {
      const a = await h.coordinator();
      const group = h.id('group');
      const leadership = a.leadership(group);
      expect(await h.next(leadership.leader$, () => true, 'leader$ before any election')).toBeNull();
      expect(leadership.value).toBe(false);
      const subscription = leadership.subscribe();
      await h.next(leadership, (leading) => leading, 'leadership');
      expect(leadership.value).toBe(true);
      // A late subscriber gets the current value at once.
      let replayed: boolean | undefined;
      leadership
        .subscribe((value) => {
          replayed ??= value;
        })
        .unsubscribe();
      expect(replayed).toBe(true);
      expect(await h.next(leadership.leader$, (id) => id === a.memberId, 'leader$')).toBe(a.memberId);
      expect(typeof leadership.term).toBe('bigint');
      subscription.unsubscribe();
      expect(leadership.value).toBe(false);
    });

    it('elects exactly one of several; leader$ agrees, for candidates and onlookers', async () => {
      const coordinators = await Promise.all([h.coordinator(), h.coordinator(), h.coordinator()]);
      const onlooker = await h.coordinator();
      const group = h.id('group');
      const { subscriptions, leaders } = candidates(coordinators, group);
      await waitUntil(() => leaders().length === 1, h.patience);
      await pause(target.ttl);
      expect(leaders()).toHaveLength(1);
      const leader = leaders()[0];
      for (const c of [...coordinators, onlooker]) {
        expect(await h.next(c.leadership(group).leader$, (id) => id === leader, 'agreement on leader$')).toBe(leader);
      }
      for (const s of subscriptions) s.unsubscribe();
    });

    it('hands over when the leader withdraws, without waiting for a TTL', async () => {
      const [a, b] = [
        await h.coordinator(undefined, { leaderTtl: 60_000 }),
        await h.coordinator(undefined, { leaderTtl: 60_000 }),
      ];
      const group = h.id('group');
      const sa = a.leadership(group).subscribe();
      await h.next(a.leadership(group), (v) => v, 'a leads');
      const sb = b.leadership(group).subscribe();
      await pause(20);
      expect(b.leadership(group).value).toBe(false);
      sa.unsubscribe();
      await h.next(b.leadership(group), (v) => v, 'b leads after a withdrew');
      expect(await h.next(a.leadership(group).leader$, (id) => id === b.memberId, 'leader$ = b')).toBe(b.memberId);
      sb.unsubscribe();
    });

    it('stands down: leadership passes to the other candidate and back', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const group = h.id('group');
      const { subscriptions, values, leaders } = candidates([a, b], group);
      await waitUntil(() => leaders().length === 1, h.patience);
      const [first, second] = leaders()[0] === a.memberId ? [a, b] : [b, a];
      await first.leadership(group).standDown();
      await h.next(second.leadership(group), (v) => v, 'second leads');
      expect(first.leadership(group).value).toBe(false);
      await second.leadership(group).standDown();
      await h.next(first.leadership(group), (v) => v, 'first leads again');
      // Never two leaders: at no emission were both true (checked through the recorded streams).
      expect(values.every((v) => v.length > 0)).toBe(true);
      for (const s of subscriptions) s.unsubscribe();
    });

    it('never has two leaders through repeated stand-downs', async () => {
      const coordinators = await Promise.all([h.coordinator(), h.coordinator(), h.coordinator()]);
      const group = h.id('group');
      let overlap = 0;
      const subscriptions = coordinators.map((c) =>
        c.leadership(group).subscribe(() => {
          if (coordinators.filter((x) => x.leadership(group).value).length > 1) overlap++;
        }),
      );
      for (let round = 0; round < 6; round++) {
        await waitUntil(() => coordinators.some((c) => c.leadership(group).value), h.patience);
        const leader = coordinators.find((c) => c.leadership(group).value);
        await leader?.leadership(group).standDown();
      }
      expect(overlap).toBe(0);
      for (const s of subscriptions) s.unsubscribe();
    });

    it('hands over when the leader closes', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const group = h.id('group');
      const seen: boolean[] = [];
      let [completed, errors] = [0, 0];
      a.leadership(group).subscribe({
        next: (v) => seen.push(v),
        error: () => errors++,
        complete: () => completed++,
      });
      await h.next(a.leadership(group), (v) => v, 'a leads');
      const sb = b.leadership(group).subscribe();
      await a.close();
      // Closing is not a loss: leadership turns false and completes, with no error.
      expect([seen.at(-1), completed, errors]).toEqual([false, 1, 0]);
      await h.next(b.leadership(group), (v) => v, 'b leads after a closed');
      sb.unsubscribe();
    });

    it('whileLeader runs the work only while leading', async () => {
      const a = await h.coordinator();
      const group = h.id('group');
      let running = 0;
      const subscription = a
        .leadership(group)
        .pipe(
          whileLeader(() => {
            running++;
            return NEVER.pipe(finalize(() => running--));
          }),
        )
        .subscribe();
      await waitUntil(() => running === 1, h.patience);
      await a.leadership(group).standDown();
      // Alone, it runs again after the grace period; in between the work was stopped.
      await waitUntil(() => running === 1, h.patience);
      subscription.unsubscribe();
      expect(running).toBe(0);
    });

    it.skipIf(!target.faults?.suspend)('turns false at once on suspension, and recovers', async () => {
      const a = await h.coordinator(undefined, { leaderTtl: 60_000 });
      const group = h.id('group');
      const subscription = a.leadership(group).subscribe();
      await h.next(a.leadership(group), (v) => v, 'leads');
      await target.faults?.suspend?.(a.memberId);
      await h.next(a.leadership(group), (v) => !v, 'false on suspension');
      await target.faults?.resume?.(a.memberId);
      await h.next(a.leadership(group), (v) => v, 'leads again after resume');
      subscription.unsubscribe();
    });

    it.skipIf(!target.faults?.expireSession)('loses leadership with the session, and runs again', async () => {
      const a = await h.coordinator();
      const group = h.id('group');
      const seen: boolean[] = [];
      const subscription = a.leadership(group).subscribe((v) => seen.push(v));
      await h.next(a.leadership(group), (v) => v, 'leads');
      await target.faults?.expireSession?.(a.memberId);
      await waitUntil(() => seen.lastIndexOf(false) > seen.indexOf(true), h.patience);
      await h.next(a.leadership(group), (v) => v, 'leads in the new session');
      subscription.unsubscribe();
    });
  });
}
