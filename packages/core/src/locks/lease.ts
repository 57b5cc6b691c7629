import { BehaviorSubject, defer, distinctUntilChanged, type Observable, of } from 'rxjs';
import type { LockLostError } from '../errors/errors.js';

/**
 * - `held`: the hold is proven.
 * - `at-risk`: it cannot be proven right now (connection suspended, a
 *   refresh failing); do not start work that needs it.
 * - `lost`: gone; `signal` is aborted.
 */
export type LeaseState = 'held' | 'at-risk' | 'lost';

export interface LockLease {
  readonly name: string;
  /** Strictly increasing per lock name across all holders; pass it to the resource you protect. */
  readonly fencingToken: bigint;
  /** Replays the current state; completes when the lease ends (released or lost). */
  readonly state$: Observable<LeaseState>;
  readonly state: LeaseState;
  /** Aborted, with the LockLostError as reason, when the lock is lost (not on a normal release). */
  readonly signal: AbortSignal;
}

export class LeaseImpl implements LockLease {
  private readonly subject = new BehaviorSubject<LeaseState>('held');
  private readonly controller = new AbortController();
  private ended = false;
  private resolveReleased!: () => void;
  /** Settles once the backend release (or the loss) has completed. */
  readonly whenReleased = new Promise<void>((resolve) => {
    this.resolveReleased = resolve;
  });
  /** Replays the last state even after the lease ended, so a late reader still sees `lost`. */
  readonly state$ = defer(() => (this.ended ? of(this.subject.value) : this.subject)).pipe(
    distinctUntilChanged(),
  );

  constructor(
    readonly name: string,
    readonly fencingToken: bigint,
  ) {}

  get state(): LeaseState {
    return this.subject.value;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  setState(state: 'held' | 'at-risk'): void {
    if (!this.ended) this.subject.next(state);
  }

  lose(error: LockLostError): void {
    if (this.ended) return;
    this.ended = true;
    this.subject.next('lost');
    this.controller.abort(error);
    this.subject.complete();
  }

  end(): void {
    this.ended = true;
    this.subject.complete();
  }

  markReleased(): void {
    this.resolveReleased();
  }
}

/** Settles when a lease's backend release has completed (at once for foreign lease objects). */
export function whenReleased(lease: LockLease): Promise<void> {
  return lease instanceof LeaseImpl ? lease.whenReleased : Promise.resolve();
}
