import { abortable, type CallOptions } from '../internal/abortable.js';
import {
  defer,
  firstValueFrom,
  from,
  map,
  mergeMap,
  type Observable,
  ReplaySubject,
  type SchedulerLike,
  share,
  switchMap,
  takeUntil,
} from 'rxjs';
import { type Capabilities, decodeCapabilities, encodeCapabilities } from '../capabilities.js';
import { MemberNotJoinedError } from '../errors/errors.js';
import type { Partitioner } from '../hashring/partitioner.js';
import { call } from '../internal/call.js';
import type { CoreContext } from '../internal/context.js';
import type { MemberId } from '../ids.js';
import type { GroupBackend } from '../spi/groups.js';
import type { MembershipEvent } from './events.js';
import { type GroupView, groupView } from './group-view.js';
import { armedWatch, type GroupWatch } from './group-watch.js';
import { joinObservable, type Membership, type MembershipRun } from './membership-run.js';
import { partitioners } from './partitioners.js';

/** Options of `group.partitioner()`. */
export interface PartitionerOptions {
  /** Points per unit of weight on the ring; tooz's default is 32. */
  readonly partitions?: number;
}

/** One group, as seen by one coordinator. Obtain it with `coordinator.group(id)`. */
export class Group {
  /** Current members and their capabilities: a snapshot now, then one on each change. */
  readonly members$: Observable<ReadonlyMap<MemberId, Capabilities>>;
  /** One watch shared by members$ and partitioner(); views carry their events, from which rings are updated. */
  private readonly view$: Observable<GroupView>;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: GroupBackend,
    /** The group's id. */
    readonly id: string,
    private readonly joined: Map<string, MembershipRun>,
  ) {
    this.view$ = groupView(backend, id, { poll: this.poll }).pipe(
      takeUntil(ctx.closing$),
      share({
        connector: () => new ReplaySubject(1),
        resetOnError: true,
        resetOnComplete: true,
        resetOnRefCountZero: true,
      }),
    );
    this.members$ = this.view$.pipe(map((view) => view.members));
  }

  /** Creates the group; GroupAlreadyExistsError if it exists. */
  create(options?: CallOptions): Promise<void> {
    return abortable(options?.signal, async () => {
      await this.settled();
      return firstValueFrom(call(() => this.backend.create(this.id)));
    });
  }

  /** Deletes the group; GroupNotFoundError, or GroupNotEmptyError while it has members. Waits for this member's leave in flight. */
  delete(options?: CallOptions): Promise<void> {
    return abortable(options?.signal, async () => {
      await this.settled();
      return firstValueFrom(call(() => this.backend.delete(this.id)));
    });
  }

  /**
   * Cold: joins on subscribe, emits once joined, leaves on unsubscribe.
   * Errors with MembershipLostError when the membership is gone, and with
   * GroupNotFoundError or MemberAlreadyJoinedError when the join is refused.
   * Capabilities are checked before anything is written.
   */
  join(capabilities: Capabilities = null): Observable<Membership> {
    const encoded = encodeCapabilities(capabilities);
    const join$ = joinObservable(this.ctx, this.backend, this.id, encoded, capabilities, this.joined);
    // Joining again right after a leave: the join goes out once the leave is done.
    return defer(() => {
      const leaving = this.ctx.leaving.get(this.id);
      return leaving ? from(leaving).pipe(switchMap(() => join$)) : join$;
    });
  }

  /**
   * Leaves now, and resolves once the backend has confirmed: the membership's
   * stream completes. MemberNotJoinedError unless joined (or leaving) here.
   * Unsubscribing leaves too, in the background; either way this
   * coordinator's later calls on the group wait for the leave.
   */
  async leave(): Promise<void> {
    const run = this.joined.get(this.id);
    if (run) return run.leave();
    const leaving = this.ctx.leaving.get(this.id);
    if (leaving) return leaving;
    throw new MemberNotJoinedError(this.id, this.ctx.memberId);
  }

  /** One read of the backend (after this member's leave in flight, if any). GroupNotFoundError if the group does not exist. */
  members(options?: CallOptions): Promise<ReadonlyMap<MemberId, Capabilities>> {
    return abortable(options?.signal, async () => {
      await this.settled();
      const encoded = await firstValueFrom(call(() => this.backend.members(this.id)));
      const members = new Map<MemberId, Capabilities>();
      for (const [id, bytes] of encoded) members.set(id, decodeCapabilities(bytes));
      return members;
    });
  }

  /**
   * Changes only, from the moment of subscription: joined, updated, left.
   * A change that lands while the watch is being armed may be part of the
   * group's first read rather than an event; to know when watching has
   * started, use `watch()`.
   */
  get events$(): Observable<MembershipEvent> {
    return groupView(this.backend, this.id, { snapshots: false, poll: this.poll }).pipe(
      takeUntil(this.ctx.closing$),
      mergeMap((view) => from(view.events)),
    );
  }

  /**
   * Starts watching and resolves once the watch is armed, with the members
   * at that moment: every change after it is an event on `events$`, as with
   * Python tooz's `watch_join_group`. Close it when done.
   */
  watch(options?: CallOptions): Promise<GroupWatch> {
    return abortable(options?.signal, async () => {
      await this.settled();
      return armedWatch(groupView(this.backend, this.id, { poll: this.poll }).pipe(takeUntil(this.ctx.closing$)));
    });
  }

  private get poll(): { interval: number; scheduler: SchedulerLike } {
    return { interval: this.ctx.timings.pollInterval, scheduler: this.ctx.scheduler };
  }

  /** This member's leave in flight on this group, if any. */
  private settled(): Promise<void> {
    return this.ctx.leaving.get(this.id) ?? Promise.resolve();
  }

  /** Changes what this member advertises; MemberNotJoinedError unless joined here. */
  async updateCapabilities(capabilities: Capabilities, options?: CallOptions): Promise<void> {
    const encoded = encodeCapabilities(capabilities);
    if (options?.signal?.aborted) throw options.signal.reason;
    const run = this.joined.get(this.id);
    const handle = run?.memberHandle;
    if (!run || !handle) throw new MemberNotJoinedError(this.id, this.ctx.memberId);
    await abortable(options?.signal, () => firstValueFrom(call(() => this.backend.update(this.id, handle, encoded))));
    run.setCapabilities(encoded);
  }

  /**
   * A tooz-compatible partitioner, a new one on every membership change;
   * each is derived from the previous, moving only the changed member's points.
   */
  partitioner(options: PartitionerOptions = {}): Observable<Partitioner> {
    return this.view$.pipe(partitioners(this.ctx.memberId, options.partitions));
  }
}
