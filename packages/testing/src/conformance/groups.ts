import {
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  MemberAlreadyJoinedError,
  MembershipLostError,
  type MembershipEvent,
  MemberNotJoinedError,
} from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceTarget, harness, joined, pause, rejectionOf } from './harness.js';
import { waitUntil } from '../wait-until.js';

/** Groups: tooz's test_coordination scenarios, plus push events and loss. */
export function groupConformance(target: ConformanceTarget): void {
  describe.skipIf(!target.capabilities.primitives.groups)('groups', () => {
    const h = harness(target);

    it('creates a group that is then listed; a second create fails', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      expect(await a.groups()).toContain(id);
      expect(await rejectionOf(a.group(id).create())).toBeInstanceOf(GroupAlreadyExistsError);
    });

    it('lists every created group', async () => {
      const a = await h.coordinator();
      const ids = Array.from({ length: 5 }, () => h.id('group'));
      for (const id of ids) await a.group(id).create();
      const listed = await a.groups();
      for (const id of ids) expect(listed).toContain(id);
    });

    it('deletes a group; deleting or joining a missing group fails', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      await a.group(id).delete();
      expect(await a.groups()).not.toContain(id);
      expect(await rejectionOf(a.group(id).delete())).toBeInstanceOf(GroupNotFoundError);
      expect(await rejectionOf(joined(a.group(id).join()))).toBeInstanceOf(GroupNotFoundError);
    });

    it('refuses to delete a group with members, until they leave', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      const membership = await joined(a.group(id).join());
      expect(await rejectionOf(a.group(id).delete())).toBeInstanceOf(GroupNotEmptyError);
      membership.unsubscribe();
      await waitUntil(async () => !(await a.group(id).members()).has(a.memberId), h.patience);
      await a.group(id).delete();
    });

    it('refuses to read or watch a group that does not exist', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      expect(await rejectionOf(a.group(id).members())).toBeInstanceOf(GroupNotFoundError);
      expect(await rejectionOf(h.next(a.group(id).events$, () => true, 'an event'))).toBeInstanceOf(GroupNotFoundError);
    });

    it('joins and leaves: members() follows; capabilities round-trip', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      const caps = { data: 'test_capabilities', nested: { list: [1, 'two', { three: 3 }], flag: true } };
      const ma = await joined(a.group(id).join(caps));
      const mb = await joined(b.group(id).join());
      const members = await a.group(id).members();
      expect([...members.keys()].sort()).toEqual([a.memberId, b.memberId].sort());
      expect(members.get(a.memberId)).toEqual(caps);
      expect(members.get(b.memberId)).toBeNull();
      mb.unsubscribe();
      await waitUntil(async () => !(await a.group(id).members()).has(b.memberId), h.patience);
      expect((await b.group(id).members()).has(a.memberId)).toBe(true);
      ma.unsubscribe();
    });

    it('refuses a second join of the same member id', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      const first = await joined(a.group(id).join());
      expect(await rejectionOf(joined(a.group(id).join()))).toBeInstanceOf(MemberAlreadyJoinedError);
      const twin = await h.coordinator(a.memberId);
      expect(await rejectionOf(joined(twin.group(id).join()))).toBeInstanceOf(MemberAlreadyJoinedError);
      first.unsubscribe();
    });

    it('updates capabilities, seen by members() and as an event', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      expect(await rejectionOf(a.group(id).updateCapabilities({ version: 0 }))).toBeInstanceOf(MemberNotJoinedError);
      const membership = await joined(a.group(id).join({ version: 1 }));
      // Armed before the change is made, so the change is an event, never part of the first read.
      using updatedWatch = await b.group(id).watch();
      const updated = h.next(updatedWatch.events$, (event) => event.type === 'updated', 'updated event');
      await a.group(id).updateCapabilities({ version: 2 });
      expect(await updated).toEqual({
        type: 'updated',
        groupId: id,
        memberId: a.memberId,
        capabilities: { version: 2 },
      });
      expect((await b.group(id).members()).get(a.memberId)).toEqual({ version: 2 });
      membership.unsubscribe();
    });

    it('pushes exactly one joined and one left event per member', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      const seen: MembershipEvent[] = [];
      using watch = await a.group(id).watch();
      watch.events$.subscribe((event) => seen.push(event));
      const membership = await joined(b.group(id).join({ weight: 1 }));
      // A poll backend sees only what lasts a poll interval: the leave waits for the join to be seen.
      if (target.capabilities.notifications === 'poll') await waitUntil(() => seen.length === 1, h.patience);
      membership.unsubscribe();
      await waitUntil(() => seen.length >= 2, h.patience);
      await pause(20);
      expect(seen).toEqual([
        { type: 'joined', groupId: id, memberId: b.memberId, capabilities: { weight: 1 } },
        { type: 'left', groupId: id, memberId: b.memberId },
      ]);
    });

    it('members$ replays a snapshot, then one on each change', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      const mine = await joined(a.group(id).join());
      const first = await h.next(a.group(id).members$, () => true, 'snapshot');
      expect([...first.keys()]).toEqual([a.memberId]);
      const withB = h.next(a.group(id).members$, (members) => members.has(b.memberId), 'b in members$');
      const theirs = await joined(b.group(id).join());
      expect([...(await withB).keys()].sort()).toEqual([a.memberId, b.memberId].sort());
      theirs.unsubscribe();
      mine.unsubscribe();
    });

    it('close() leaves every group, and watchers see it', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      const errors: unknown[] = [];
      let [isJoined, completed] = [false, 0];
      b.group(id)
        .join()
        .subscribe({
          next: () => {
            isJoined = true;
          },
          error: (error: unknown) => errors.push(error),
          complete: () => completed++,
        });
      await waitUntil(() => isJoined, h.patience);
      // Armed before the change is made, so the change is an event, never part of the first read.
      using leftWatch = await a.group(id).watch();
      const left = h.next(leftWatch.events$, (event) => event.type === 'left', 'left event');
      await b.close();
      expect(await left).toEqual({ type: 'left', groupId: id, memberId: b.memberId });
      // Closing is the user's own act: the membership completes, it is not lost.
      expect(errors).toEqual([]);
      expect(completed).toBe(1);
      expect((await a.group(id).members()).has(b.memberId)).toBe(false);
    });

    it('a watcher that waited for watch() sees a join made right after it, every time', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      for (let round = 0; round < 8; round++) {
        using watch = await a.group(id).watch();
        expect(watch.members.has(b.memberId)).toBe(false);
        const joined = h.next(watch.events$, (event) => event.memberId === b.memberId, `joined, round ${round}`);
        const membership = b.group(id).join().subscribe();
        expect((await joined).type).toBe('joined');
        membership.unsubscribe();
        await b
          .group(id)
          .leave()
          .catch(() => undefined);
      }
    });

    it('orders a leave before what follows: delete, members() and a new join right after', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      for (let round = 0; round < 3; round++) {
        await joined(a.group(id).join());
        await a.group(id).leave();
        expect((await a.group(id).members()).has(a.memberId)).toBe(false);
        // Unsubscribing leaves in the background; the join right after goes out once that leave is done.
        const membership = await joined(a.group(id).join());
        membership.unsubscribe();
        await joined(a.group(id).join());
        expect((await b.group(id).members()).has(a.memberId)).toBe(true);
        await a.group(id).leave();
      }
      const last = await joined(a.group(id).join());
      last.unsubscribe();
      await a.group(id).delete();
      expect(await rejectionOf(a.group(id).members())).toBeInstanceOf(GroupNotFoundError);
    });

    it('leave() when not joined is MemberNotJoinedError', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      expect(await rejectionOf(a.group(id).leave())).toBeInstanceOf(MemberNotJoinedError);
    });

    it('keeps a membership alive past several TTLs', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const id = h.id('group');
      await a.group(id).create();
      const errors: unknown[] = [];
      const membership = await joined(a.group(id).join(), errors);
      await pause(target.ttl * 2.5);
      expect(errors).toEqual([]);
      expect((await b.group(id).members()).has(a.memberId)).toBe(true);
      membership.unsubscribe();
    });

    it.skipIf(!target.faults?.expireSession)(
      'signals MembershipLostError and a left event when the session expires',
      async () => {
        const [a, b] = [await h.coordinator(), await h.coordinator()];
        const id = h.id('group');
        await a.group(id).create();
        const errors: unknown[] = [];
        await joined(b.group(id).join(), errors);
        // Armed before the change is made, so the change is an event, never part of the first read.
        using leftWatch = await a.group(id).watch();
        const left = h.next(leftWatch.events$, (event) => event.type === 'left', 'left event');
        await target.faults?.expireSession?.(b.memberId);
        expect(await left).toMatchObject({ type: 'left', memberId: b.memberId });
        await waitUntil(() => errors.length > 0, h.patience);
        expect(errors[0]).toBeInstanceOf(MembershipLostError);
      },
    );

    it.skipIf(!target.faults?.suspend || target.capabilities.liveness !== 'ttl')(
      'reports a member cut off past its TTL as left, and tells it',
      async () => {
        const [a, b] = [await h.coordinator(), await h.coordinator()];
        const id = h.id('group');
        await a.group(id).create();
        const errors: unknown[] = [];
        await joined(b.group(id).join(), errors);
        // Armed before the change is made, so the change is an event, never part of the first read.
        using leftWatch = await a.group(id).watch();
        const left = h.next(leftWatch.events$, (event) => event.type === 'left', 'left event');
        await target.faults?.suspend?.(b.memberId);
        expect(await left).toMatchObject({ type: 'left', memberId: b.memberId });
        expect(errors[0]).toBeInstanceOf(MembershipLostError);
        await target.faults?.resume?.(b.memberId);
      },
    );
  });
}
