import { Observable, of, type Subscriber, type Subscription } from 'rxjs';
import type { Capabilities } from '../capabilities.js';
import {
  CoordinatorClosedError,
  isRetryable,
  type LossReason,
  MemberAlreadyJoinedError,
  MembershipLostError,
} from '../errors/errors.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from '../internal/backoff.js';
import { call } from '../internal/call.js';
import type { ConnectionState } from '../internal/connection-state.js';
import type { CoreContext, Held } from '../internal/context.js';
import type { LinkedEntry } from '../driver/linked-set.js';
import { Hold, type HoldOwner } from '../internal/hold.js';
import type { Timer } from '../internal/timer-queue.js';
import type { EncodedCapabilities, GroupBackend, MemberHandle } from '../spi/groups.js';

/** What a membership's Observable emits while this member is in the group. */
export interface Membership {
  /** The group joined. */
  readonly groupId: string;
  /** This coordinator's member id. */
  readonly memberId: string;
  /** The capabilities the member joined with, or last set with `updateCapabilities`. */
  readonly capabilities: Capabilities;
}

/**
 * One membership, owned by one subscription: join on subscribe, kept alive
 * and watched by a Hold (as a lock is), error with MembershipLostError when
 * it is gone, leave on unsubscribe. A join in flight when the subscriber
 * leaves is followed by a leave rather than abandoned.
 */
export class MembershipRun implements Held, HoldOwner {
  private phase: 'joining' | 'joined' | 'ended' = 'joining';
  private heldNode: LinkedEntry<Held> | undefined;
  private handle: MemberHandle | undefined;
  private join: Subscription | Timer | undefined;
  private backoff: Backoff | undefined;
  /** Settles the wait registered for a join that was in flight when the run ended. */
  private joinLeft: (() => void) | undefined;
  private joinInFlight = false;
  private hold: Hold | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: GroupBackend,
    readonly groupId: string,
    private capabilities: EncodedCapabilities,
    private readonly decoded: Capabilities,
    private readonly subscriber: Subscriber<Membership>,
    private readonly registry: Map<string, MembershipRun>,
  ) {}

  get memberHandle(): MemberHandle | undefined {
    return this.phase === 'joined' ? this.handle : undefined;
  }

  /** Keeps what was last advertised, for anything that reads it back. */
  setCapabilities(encoded: EncodedCapabilities): void {
    this.capabilities = encoded;
  }

  start(): void {
    this.heldNode = this.ctx.held.add(this);
    this.registry.set(this.groupId, this);
    this.sendJoin();
  }

  private sendJoin(): void {
    const ttl = this.ctx.timings.membershipTtl;
    const sentAt = this.ctx.scheduler.now();
    const losses = this.ctx.connection.losses;
    this.joinInFlight = true;
    // close() waits for it: a join it grants is left again before the session goes.
    const inFlight = this.ctx.pending.begin();
    let settled = false;
    const join = call(() => this.backend.join(this.groupId, this.capabilities, { ttl })).subscribe({
      next: (handle) => {
        settled = true;
        this.joinInFlight = false;
        this.onJoined(handle, Math.max(sentAt, handle.sentAt ?? sentAt), losses);
        inFlight();
      },
      error: (error: unknown) => {
        settled = true;
        this.joinInFlight = false;
        inFlight();
        if (this.phase !== 'joining') return this.settleJoinInFlight();
        this.end();
        this.subscriber.error(error);
      },
    });
    if (!settled) this.join = join;
  }

  /** Leaves now: the stream completes, and the promise resolves, once the backend has confirmed. */
  leave(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.subscriber.complete();
        resolve();
      };
      if (this.phase === 'ended') return resolve();
      this.end();
      this.leaveBackend(done);
    });
  }

  dispose(): void {
    if (this.phase === 'joined') {
      this.end();
      this.leaveBackend();
    } else if (this.phase === 'joining') {
      // A join answered too late and being confirmed has a handle already: leave it.
      this.end();
      this.leaveBackend();
    }
  }

  /** `close()`, the user's own act: the membership is left, and the stream completes once the leave is done. */
  shutdown(): void {
    if (this.phase === 'joined') {
      this.end();
      this.leaveBackend(() => this.subscriber.complete());
    } else if (this.phase === 'joining') {
      this.end();
      this.leaveBackend(() => this.subscriber.complete());
    }
  }

  private onJoined(handle: MemberHandle, sentAt: number, losses: number): void {
    this.handle = handle;
    if (this.phase !== 'joining') return this.leaveBackend();
    if (this.ctx.connection.losses !== losses) {
      // Joined in a session declared lost while the answer was on its way: the membership went with it.
      this.phase = 'joined';
      return this.lose('session-lost');
    }
    const ttl = this.ctx.timings.membershipTtl;
    // Answered too late to date from the join: prove it with a refresh first, or join again.
    if (this.backend.refresh && Hold.tooLate(this.ctx, ttl, sentAt)) return this.confirm(handle);
    this.startHold(handle, sentAt);
  }

  /** A join answered past its own deadline is renewed at once, never reported joined on its word. */
  private confirm(handle: MemberHandle): void {
    const refresh = this.backend.refresh?.bind(this.backend);
    if (!refresh) return;
    const ttl = this.ctx.timings.membershipTtl;
    const sentAt = this.ctx.scheduler.now();
    const losses = this.ctx.connection.losses;
    const inFlight = this.ctx.pending.begin();
    let settled = false;
    const request = call(() => refresh(this.groupId, handle, { ttl })).subscribe({
      next: (present) => {
        settled = true;
        if (this.phase !== 'joining') this.leaveBackend();
        else if (!present) this.sendJoin();
        else if (this.ctx.connection.losses !== losses) {
          this.phase = 'joined';
          this.lose('session-lost');
        } else if (Hold.tooLate(this.ctx, ttl, sentAt)) this.retryLater(() => this.confirm(handle));
        else this.startHold(handle, sentAt);
        inFlight();
      },
      error: (error: unknown) => {
        settled = true;
        inFlight();
        if (this.phase !== 'joining') return this.leaveBackend();
        if (!isRetryable(error)) {
          this.end();
          this.leaveBackend();
          return this.subscriber.error(error);
        }
        this.retryLater(() => this.confirm(handle));
      },
    });
    if (!settled) this.join = request;
  }

  private retryLater(then: () => void): void {
    this.backoff ??= exactBackoff(this.ctx.timings.retryDelay, this.ctx.timings.maxRetryDelay);
    this.join = this.ctx.timers.after(this.backoff.next(), then);
  }

  private startHold(handle: MemberHandle, sentAt: number): void {
    const { backend, groupId } = this;
    const ttl = this.ctx.timings.membershipTtl;
    this.phase = 'joined';
    this.hold = new Hold(this.ctx, this, ttl, sentAt, backend.refresh !== undefined, handle.lost$);
    this.ctx.telemetry.emit({ kind: 'membership', memberId: this.ctx.memberId, groupId, event: 'joined' });
    this.subscriber.next({ groupId, memberId: this.ctx.memberId, capabilities: this.decoded });
  }

  onConnection(state: ConnectionState): void {
    this.hold?.onConnection(state);
  }

  onStall(lag: number): void {
    this.hold?.onStall(lag);
  }

  // --- HoldOwner ------------------------------------------------------------

  refreshHold(): Observable<boolean> {
    const { backend, groupId, handle } = this;
    if (!backend.refresh || !handle) return of(false);
    const refresh = backend.refresh.bind(backend);
    const ttl = this.ctx.timings.membershipTtl;
    return call(() => refresh(groupId, handle, { ttl }));
  }

  holdLost(reason: LossReason, cause?: unknown): void {
    this.lose(reason, cause);
  }

  holdName(): string {
    return `membership of ${this.groupId}`;
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.phase !== 'joined') return;
    this.ctx.telemetry.emit({
      kind: 'membership',
      memberId: this.ctx.memberId,
      groupId: this.groupId,
      event: 'lost',
      reason,
    });
    this.end();
    this.leaveBackend();
    this.subscriber.error(
      new MembershipLostError(this.groupId, this.ctx.memberId, reason, cause === undefined ? undefined : { cause }),
    );
  }

  private end(): void {
    this.phase = 'ended';
    this.ctx.held.delete(this.heldNode);
    if (this.registry.get(this.groupId) === this) this.registry.delete(this.groupId);
    this.hold?.stop();
    if (!this.joinInFlight) this.join?.unsubscribe();
    // A join still on its way will be left once answered: the coordinator's later calls wait for that too.
    else this.awaitLeaveOfJoinInFlight();
  }

  private awaitLeaveOfJoinInFlight(): void {
    if (this.joinLeft) return;
    const { leaving } = this.ctx;
    const { groupId } = this;
    let resolve: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    leaving.set(groupId, done);
    this.joinLeft = () => {
      if (leaving.get(groupId) === done) leaving.delete(groupId);
      resolve();
    };
  }

  /** The join in flight at the end has been answered and left (or failed). */
  private settleJoinInFlight(): void {
    const settle = this.joinLeft;
    this.joinLeft = undefined;
    settle?.();
  }

  /** Leaves on the backend; the coordinator's later calls on this group wait until it is done. */
  private leaveBackend(then?: () => void): void {
    const { handle, groupId } = this;
    this.handle = undefined;
    if (!handle) {
      if (!this.joinInFlight) this.settleJoinInFlight();
      return then?.();
    }
    const { leaving } = this.ctx;
    let finish: () => void = () => undefined;
    const left = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // A join waits for the leave before it, so two leaves of one group never overlap.
    leaving.set(groupId, left);
    this.ctx.pending.track(
      call(() => this.backend.leave(groupId, handle)),
      () => {
        if (leaving.get(groupId) === left) leaving.delete(groupId);
        this.ctx.telemetry.emit({ kind: 'membership', memberId: this.ctx.memberId, groupId, event: 'left' });
        finish();
        this.settleJoinInFlight();
        then?.();
      },
    );
  }
}

export function joinObservable(
  ctx: CoreContext,
  backend: GroupBackend,
  groupId: string,
  encoded: EncodedCapabilities,
  decoded: Capabilities,
  registry: Map<string, MembershipRun>,
): Observable<Membership> {
  return new Observable<Membership>((subscriber) => {
    if (ctx.isClosed()) {
      subscriber.error(new CoordinatorClosedError());
      return;
    }
    if (registry.has(groupId)) {
      subscriber.error(new MemberAlreadyJoinedError(groupId, ctx.memberId));
      return;
    }
    const run = new MembershipRun(ctx, backend, groupId, encoded, decoded, subscriber, registry);
    run.start();
    return () => run.dispose();
  });
}
