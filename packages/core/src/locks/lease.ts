import { defer, distinctUntilChanged, type Observable, of } from 'rxjs';
import type { CoordinatorClosedError, LockLostError } from '../errors/errors.js';
import { OrderedBehaviorSubject } from '../internal/ordered-subject.js';

/**
 * - `held`: the hold is proven.
 * - `at-risk`: it cannot be proven right now (connection suspended, a
 *   refresh failing, the event loop stalled); do not start work that needs it.
 * - `lost`: gone; `signal` is aborted with the LockLostError.
 * - `released`: given back by its holder (unsubscribe, `release()`, or
 *   `close()`, which also aborts `signal`).
 */
export type LeaseState = 'held' | 'at-risk' | 'lost' | 'released';

/**
 * What a lock's Observable emits once the lock is held: its fencing token, its state, and an `AbortSignal` for the
 * work done under it.
 */
export interface LockLease {
  /** The lock's name. */
  readonly name: string;
  /** Strictly increasing per lock name across all holders; pass it to the resource you protect. */
  readonly fencingToken: bigint;
  /** Replays the current state; completes when the lease ends (released or lost). */
  readonly state$: Observable<LeaseState>;
  /**
   * The state at the moment of reading: the deadline is evaluated by the
   * read itself, so the first read after an event-loop stall past the TTL
   * says `lost`, even before any overdue timer has run.
   */
  readonly state: LeaseState;
  /**
   * Aborted when the lock is lost (reason: the LockLostError) or the
   * coordinator is closed (reason: CoordinatorClosedError); not on a normal
   * release. Reading `aborted` evaluates the deadline, as `state` does.
   */
  readonly signal: AbortSignal;
}

/** What evaluates a held lease's deadlines when it is read. */
export interface LeaseDeadlines {
  probe(): void;
}

/**
 * The lease handed to holders. Its subject, AbortController and release
 * promise are created on first use: most leases are released without anyone
 * reading them, and these are the costly parts of an acquire.
 */
export class LeaseImpl implements LockLease {
  private current: LeaseState = 'held';
  private ended = false;
  private subject: OrderedBehaviorSubject<LeaseState> | undefined;
  private controller: AbortController | undefined;
  private lossReason: LockLostError | CoordinatorClosedError | undefined;

  private released = false;
  private releasedPromise: Promise<void> | undefined;
  private resolveReleased: (() => void) | undefined;
  private releaseCallbacks: Array<() => void> | undefined;

  /**
   * `deadlines` evaluates the hold's deadlines now (the lock run itself:
   * an object with a method, not a closure, since this is on every acquire).
   */
  constructor(
    readonly name: string,
    readonly fencingToken: bigint,
    private deadlines?: LeaseDeadlines,
  ) {}

  get state(): LeaseState {
    if (!this.ended) this.deadlines?.probe();
    return this.current;
  }

  get state$(): Observable<LeaseState> {
    return defer(() => {
      if (!this.ended) this.deadlines?.probe();
      if (this.ended) return of(this.current);
      this.subject ??= new OrderedBehaviorSubject(this.current);
      return this.subject;
    }).pipe(distinctUntilChanged());
  }

  get signal(): AbortSignal {
    if (!this.ended) this.deadlines?.probe();
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lossReason) this.controller.abort(this.lossReason);
    }
    return this.controller.signal;
  }

  /** Settles once the backend release (or the loss) has completed. */
  get whenReleased(): Promise<void> {
    if (this.released) return Promise.resolve();
    this.releasedPromise ??= new Promise<void>((resolve) => {
      this.resolveReleased = resolve;
    });
    return this.releasedPromise;
  }

  setState(state: 'held' | 'at-risk'): void {
    if (this.ended || this.current === state) return;
    this.current = state;
    this.subject?.next(state);
  }

  lose(error: LockLostError): void {
    if (this.ended) return;
    this.ended = true;
    this.deadlines = undefined;
    this.current = 'lost';
    this.lossReason = error;
    this.subject?.next('lost');
    this.controller?.abort(error);
    this.subject?.complete();
  }

  /** Given back by its holder; `closing` also aborts `signal`, so work in flight stops. */
  end(closing?: CoordinatorClosedError): void {
    if (this.ended) return;
    this.ended = true;
    this.current = 'released';
    this.deadlines = undefined;
    this.subject?.next('released');
    if (closing) {
      this.lossReason = closing;
      this.controller?.abort(closing);
    }
    this.subject?.complete();
  }

  /** Calls back synchronously once the backend release has completed (at once if it has). */
  onReleased(callback: () => void): void {
    if (this.released) return callback();
    this.releaseCallbacks ??= [];
    this.releaseCallbacks.push(callback);
  }

  markReleased(): void {
    if (this.released) return;
    this.released = true;
    this.resolveReleased?.();
    for (const callback of this.releaseCallbacks?.splice(0) ?? []) callback();
  }
}

/** Runs `callback` once the lease's backend release has completed: synchronously when it already has. */
export function afterRelease(lease: LockLease | undefined, callback: () => void): void {
  if (lease instanceof LeaseImpl) lease.onReleased(callback);
  else callback();
}

/** Settles when a lease's backend release has completed (at once for foreign lease objects). */
export function whenReleased(lease: LockLease): Promise<void> {
  return lease instanceof LeaseImpl ? lease.whenReleased : Promise.resolve();
}
