import { interval, map, merge, Observable, type SchedulerLike } from 'rxjs';
import { type Capabilities, decodeCapabilities } from '../capabilities.js';
import { GroupNotFoundError } from '../errors/errors.js';
import { call } from '../internal/call.js';
import type { MemberId } from '../ids.js';
import { PersistentMap } from '../internal/persistent-map.js';
import type { EncodedCapabilities, GroupBackend, GroupChange } from '../spi/groups.js';
import type { MembershipEvent } from './events.js';

export interface GroupView {
  /**
   * An immutable snapshot: later changes make new maps that share what is
   * unchanged with this one (O(log n) per change, not a copy of the group).
   * Iteration follows the ids' hashes, not the order members joined in.
   */
  readonly members: ReadonlyMap<MemberId, Capabilities>;
  /**
   * What changed since the previous view. For the first one: the changes
   * that arrived while its snapshot was read and were not already in it
   * (the snapshot's own members are not events).
   */
  readonly events: readonly MembershipEvent[];
}

function sameBytes(a: EncodedCapabilities, b: EncodedCapabilities): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A live view of one group: the watch is opened first, then a snapshot read,
 * then the changes that arrived meanwhile are replayed on it. Each change
 * carries a member's full state, so replaying changes the snapshot already
 * contains is harmless. Duplicates and no-op changes produce no event;
 * `resync` re-reads and diffs, so no change is missed or doubled. On poll
 * backends a resync comes every poll interval.
 */
export function groupView(
  backend: GroupBackend,
  groupId: string,
  options: { snapshots?: boolean; poll?: { interval: number; scheduler: SchedulerLike } } = {},
): Observable<GroupView> {
  // events$ reads no snapshot: even an O(log n) persistent update per change is then wasted.
  const snapshots = options.snapshots ?? true;
  return new Observable<GroupView>((subscriber) => {
    let encoded: Map<MemberId, EncodedCapabilities> | undefined;
    let decoded = PersistentMap.empty<MemberId, Capabilities>();
    let buffered: GroupChange[] = [];
    let reading = false;

    const decodeOne = (bytes: EncodedCapabilities): Capabilities => decodeCapabilities(bytes);

    const emit = (events: MembershipEvent[], force = false) => {
      if (events.length === 0 && !force) return;
      subscriber.next({ members: decoded, events });
    };

    /** Applies one change to the current maps; returns its event, if it changed anything. */
    const apply = (change: GroupChange, current: Map<MemberId, EncodedCapabilities>, out: MembershipEvent[]) => {
      switch (change.type) {
        case 'joined':
        case 'updated': {
          const before = current.get(change.memberId);
          if (before && sameBytes(before, change.capabilities)) return;
          current.set(change.memberId, change.capabilities);
          const capabilities = decodeOne(change.capabilities);
          if (snapshots) decoded = decoded.set(change.memberId, capabilities);
          out.push({ type: before ? 'updated' : 'joined', groupId, memberId: change.memberId, capabilities });
          return;
        }
        case 'left': {
          if (!current.delete(change.memberId)) return;
          if (snapshots) decoded = decoded.delete(change.memberId);
          out.push({ type: 'left', groupId, memberId: change.memberId });
          return;
        }
        default:
          return;
      }
    };

    const read = () => {
      reading = true;
      subscription.add(
        call(() => backend.members(groupId)).subscribe({
          next: (snapshot) => {
            reading = false;
            const first = encoded === undefined;
            const previous = encoded ?? new Map<MemberId, EncodedCapabilities>();
            const current = new Map(previous);
            const events: MembershipEvent[] = [];
            for (const id of previous.keys()) {
              if (!snapshot.has(id)) apply({ type: 'left', memberId: id }, current, events);
            }
            for (const [id, bytes] of snapshot)
              apply({ type: 'joined', memberId: id, capabilities: bytes }, current, events);
            const pending = buffered;
            buffered = [];
            encoded = current;
            // The first snapshot's own members are not events; changes that arrived while it was read are.
            if (first) events.length = 0;
            for (const change of pending) handle(change, events);
            emit(events, first);
          },
          error: (error: unknown) => subscriber.error(error),
        }),
      );
    };

    const handle = (change: GroupChange, events: MembershipEvent[]) => {
      if (!encoded || reading) {
        buffered.push(change);
        return;
      }
      if (change.type === 'resync') return read();
      if (change.type === 'deleted') {
        for (const id of [...encoded.keys()]) apply({ type: 'left', memberId: id }, encoded, events);
        emit(events);
        subscriber.error(new GroupNotFoundError(groupId));
        return;
      }
      apply(change, encoded, events);
    };

    // Without push, core re-reads and diffs every poll interval: a resync the driver never has to send.
    const poll = options.poll;
    const changes$ =
      poll && Number.isFinite(poll.interval)
        ? merge(
            backend.watch(groupId),
            interval(poll.interval, poll.scheduler).pipe(map((): GroupChange => ({ type: 'resync' }))),
          )
        : backend.watch(groupId);
    const subscription = changes$.subscribe({
      next: (change) => {
        const events: MembershipEvent[] = [];
        handle(change, events);
        emit(events);
      },
      error: (error: unknown) => subscriber.error(error),
    });
    read();
    return subscription;
  });
}
