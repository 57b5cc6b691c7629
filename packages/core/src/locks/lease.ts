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

/**
 * The lease handed to holders. Its subject, AbortController and release
 * promise are created on first use: most leases are released without anyone
 * reading them, and these are the costly parts of an acquire.
 */
export class LeaseImpl implements LockLease {
  private current: LeaseState = 'held';
  private ended = false;
  private subject: BehaviorSubject<LeaseState> | undefined;
  private controller: AbortController | undefined;
  private lossReason: LockLostError | undefined;
  private released = false;
  private releasedPromise: Promise<void> | undefined;
  private resolveReleased: (() => void) | undefined;
  private releaseCallbacks: Array<() => void> | undefined;

  constructor(
    readonly name: string,
    readonly fencingToken: bigint,
  ) {}

  get state(): LeaseState {
    return this.current;
  }

  get state$(): Observable<LeaseState> {
    return defer(() => {
      if (this.ended) return of(this.current);
      this.subject ??= new BehaviorSubject(this.current);
      return this.subject;
    }).pipe(distinctUntilChanged());
  }

  get signal(): AbortSignal {
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
    this.current = 'lost';
    this.lossReason = error;
    this.subject?.next('lost');
    this.controller?.abort(error);
    this.subject?.complete();
  }

  end(): void {
    this.ended = true;
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
