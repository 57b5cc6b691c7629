import { firstValueFrom, map, type Observable, ReplaySubject, share, skip, mergeMap, from } from 'rxjs';
import { type Capabilities, encodeCapabilities } from '../capabilities.js';
import { MemberNotJoinedError } from '../errors/errors.js';
import { Partitioner } from '../hashring/partitioner.js';
import { call } from '../internal/call.js';
import type { CoreContext } from '../internal/context.js';
import type { MemberId } from '../ids.js';
import type { GroupBackend } from '../spi/groups.js';
import type { MembershipEvent } from './events.js';
import { groupView } from './group-view.js';
import { joinObservable, type Membership, type MembershipRun } from './membership-run.js';

export interface PartitionerOptions {
  /** Points per unit of weight on the ring; tooz's default is 32. */
  readonly partitions?: number;
}

/** One group, as seen by one coordinator. Obtain it with `coordinator.group(id)`. */
export class Group {
  /** Current members and their capabilities: a snapshot now, then one on each change. */
  readonly members$: Observable<ReadonlyMap<MemberId, Capabilities>>;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: GroupBackend,
    readonly id: string,
    private readonly joined: Map<string, MembershipRun>,
  ) {
    this.members$ = groupView(backend, id).pipe(
      map((view) => view.members),
      share({
        connector: () => new ReplaySubject(1),
        resetOnError: true,
        resetOnComplete: true,
        resetOnRefCountZero: true,
      }),
    );
  }

  /** Creates the group; GroupAlreadyExistsError if it exists. */
  create(): Promise<void> {
    return firstValueFrom(call(() => this.backend.create(this.id)));
  }

  /** Deletes the group; GroupNotFoundError, or GroupNotEmptyError while it has members. */
  delete(): Promise<void> {
    return firstValueFrom(call(() => this.backend.delete(this.id)));
  }

  /**
   * Cold: joins on subscribe, emits once joined, leaves on unsubscribe.
   * Errors with MembershipLostError when the membership is gone, and with
   * GroupNotFoundError or MemberAlreadyJoinedError when the join is refused.
   * Capabilities are checked before anything is written.
   */
  join(capabilities: Capabilities = null): Observable<Membership> {
    const encoded = encodeCapabilities(capabilities);
    return joinObservable(this.ctx, this.backend, this.id, encoded, capabilities, this.joined);
  }

  /** One-shot snapshot. GroupNotFoundError if the group does not exist. */
  async members(): Promise<ReadonlyMap<MemberId, Capabilities>> {
    return firstValueFrom(this.members$);
  }

  /** Changes only, from the moment of subscription: joined, updated, left. */
  get events$(): Observable<MembershipEvent> {
    return groupView(this.backend, this.id, { snapshots: false }).pipe(
      skip(1),
      mergeMap((view) => from(view.events)),
    );
  }

  /** Changes what this member advertises; MemberNotJoinedError unless joined here. */
  async updateCapabilities(capabilities: Capabilities): Promise<void> {
    const encoded = encodeCapabilities(capabilities);
    const run = this.joined.get(this.id);
    const handle = run?.memberHandle;
    if (!run || !handle) throw new MemberNotJoinedError(this.id, this.ctx.memberId);
    await firstValueFrom(call(() => this.backend.update(this.id, handle, encoded)));
    run.setCapabilities(encoded);
  }

  /** A tooz-compatible partitioner, rebuilt on every membership change. */
  partitioner(options: PartitionerOptions = {}): Observable<Partitioner> {
    return this.members$.pipe(map((members) => new Partitioner(members, this.ctx.memberId, options)));
  }
}
