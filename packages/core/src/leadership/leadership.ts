import { abortable, type CallOptions, firstValueAbortable } from '../internal/abortable.js';
import {
  catchError,
  distinctUntilChanged,
  filter,
  NEVER,
  Observable,
  race,
  ReplaySubject,
  share,
  skip,
  Subscription,
  switchMap,
  take,
  timer,
} from 'rxjs';
import { isRetryable, isToozError } from '../errors/index.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from '../internal/backoff.js';
import type { CoreContext, Held } from '../internal/context.js';
import type { LinkedEntry } from '../driver/linked-set.js';
import type { MemberId } from '../ids.js';
import { type LockLease, whenReleased } from '../locks/lease.js';
import { lockObservable } from '../locks/lock-run.js';
import type { LockBackend, LockKey } from '../spi/locks.js';
import { OrderedBehaviorSubject } from '../internal/ordered-subject.js';
import { leaderWatch } from './leader-watch.js';

/**
 * Leadership of one group, as an Observable<boolean> with BehaviorSubject
 * semantics: it replays the current value and `value` reads it. The first
 * subscriber makes this member a candidate; the last unsubscribe withdraws
 * the candidacy (and gives up the seat if held).
 *
 * Leading means holding the group's leader seat, a lock of kind `leader`, so
 * fencing, TTL refresh and loss detection are the lock run's. `true` is
 * emitted only while that lease is `held`: a suspended connection or a
 * failing refresh emits `false` at once, like Curator's SUSPENDED.
 */
export class Leadership extends Observable<boolean> implements Held {
  /** Who leads this group now (anyone may watch; no candidacy needed). */
  readonly leader$: Observable<MemberId | null>;
  private readonly current = new OrderedBehaviorSubject(false);
  private readonly key: LockKey;
  private refs = 0;
  private seat: Subscription | undefined;
  private heldNode: LinkedEntry<Held> | undefined;
  private rejoin: Subscription | undefined;
  private lease: LockLease | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: LockBackend,
    /** The group whose leader this elects. */
    readonly groupId: string,
  ) {
    super((subscriber) => {
      if (++this.refs === 1) this.run();
      const subscription = this.current.pipe(distinctUntilChanged()).subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (--this.refs === 0) this.withdraw();
      };
    });
    this.key = { kind: 'leader', name: groupId };
    // Transitions only (the initial false is not one), for diagnostics_channel and the logger.
    this.current
      .pipe(distinctUntilChanged(), skip(1))
      .subscribe((leading) => ctx.telemetry.emit({ kind: 'leadership', memberId: ctx.memberId, groupId, leading }));
    this.backoff = exactBackoff(ctx.timings.retryDelay, ctx.timings.maxRetryDelay);
    this.leader$ = leaderWatch(ctx, backend, this.key).pipe(
      share({
        connector: () => new ReplaySubject(1),
        resetOnError: true,
        resetOnComplete: true,
        resetOnRefCountZero: true,
      }),
    );
  }

  /**
   * Whether this member leads right now. The read evaluates the seat's
   * deadlines itself, so the first read after an event-loop stall past the
   * TTL says `false` even before any overdue timer has run.
   */
  get value(): boolean {
    this.probe();
    return this.current.value;
  }

  /** The fencing token of the current term while leading: pass it to what the leader writes. */
  get term(): bigint | undefined {
    this.probe();
    return this.current.value ? this.lease?.fencingToken : undefined;
  }

  /** Reading the lease's state runs its deadline checks; a loss they find turns `current` false synchronously. */
  private probe(): void {
    if (this.current.value) void this.lease?.state;
  }

  /**
   * Gives the seat up now and stays a candidate: another candidate takes it
   * within one round trip; this one runs again once someone has, or after
   * `standDownGrace` if nobody else wants it.
   */
  standDown(options?: CallOptions): Promise<void> {
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    const lease = this.lease;
    if (!this.seat || !lease) return Promise.resolve();
    this.rejoin?.unsubscribe();
    const successor = this.successor();
    if (this.backendPushes) {
      // Watch the pushes before letting go: on a fast backend the successor
      // takes the seat while the release is still being processed.
      this.rejoin = this.rejoinAfter(successor);
      this.dropSeat();
    } else {
      // leader$ polls, reading the holder anew: let go first, so that the
      // read that starts the watch cannot see this member still holding.
      this.dropSeat();
      this.rejoin = this.rejoinAfter(successor);
    }
    return abortable(options?.signal, () => whenReleased(lease));
  }

  /** Withdraws the candidacy and completes every subscriber; the coordinator calls it on `close()`. */
  shutdown(): void {
    this.withdraw();
    this.current.complete();
  }

  private get backendPushes(): boolean {
    return this.ctx.capabilities.notifications === 'push';
  }

  /** Another member holding the seat: from the backend's pushes, or (poll backends) from leader$. */
  private successor(): Observable<unknown> {
    const me = this.ctx.memberId;
    const seen: Observable<unknown> = this.backendPushes
      ? this.backend.changes(this.key).pipe(filter((change) => change.type === 'acquired' && change.holder !== me))
      : this.leader$.pipe(filter((holder) => holder !== null && holder !== me));
    // A watch that fails leaves the grace timer to decide.
    return seen.pipe(catchError(() => NEVER));
  }

  /** Runs again once a successor holds the seat, or after the grace period if nobody takes it. */
  private rejoinAfter(successor: Observable<unknown>): Subscription {
    return race(successor, timer(this.ctx.timings.standDownGrace, this.ctx.scheduler))
      .pipe(take(1))
      .subscribe(() => this.run());
  }

  private run(): void {
    if (this.refs === 0 || this.ctx.isClosed()) return;
    this.rejoin?.unsubscribe();
    this.heldNode = this.ctx.held.add(this);
    const seat = new Subscription();
    this.seat = seat;
    seat.add(
      lockObservable(this.ctx, this.backend, this.key, {
        ttl: this.ctx.timings.leaderTtl,
        wait: Number.POSITIVE_INFINITY,
      })
        .pipe(
          switchMap((lease) => {
            this.lease = lease;
            this.backoff.reset();
            return lease.state$;
          }),
        )
        .subscribe({
          next: (state) => this.current.next(state === 'held'),
          error: (error: unknown) => this.onSeatLost(error),
          // Only close() completes a seat: not a loss, nothing to run again.
          complete: () => this.current.next(false),
        }),
    );
  }

  private onSeatLost(error: unknown): void {
    this.lease = undefined;
    this.seat = undefined;
    this.current.next(false);
    if (this.refs === 0 || this.ctx.isClosed()) return;
    if (!isToozError(error, 'LOCK_LOST') && !isRetryable(error)) {
      this.current.error(error);
      return;
    }
    // Run again once the connection is usable, after a pause so a flapping
    // backend is not hammered.
    const usable = this.ctx.connection.state$.pipe(filter((s) => s === 'connected' || s === 'reconnected'));
    this.rejoin = usable
      .pipe(
        take(1),
        switchMap(() => timer(this.backoff.next(), this.ctx.scheduler)),
      )
      .subscribe(() => this.run());
  }

  private dropSeat(): void {
    const seat = this.seat;
    this.seat = undefined;
    this.lease = undefined;
    this.current.next(false);
    seat?.unsubscribe();
  }

  private withdraw(): void {
    this.rejoin?.unsubscribe();
    this.dropSeat();
    this.ctx.held.delete(this.heldNode);
  }

  /** Resolves with the next `true`: handy in tests and scripts. */
  whenLeading(options?: CallOptions): Promise<true> {
    return firstValueAbortable(this.current.pipe(filter((v): v is true => v)), options?.signal);
  }
}
