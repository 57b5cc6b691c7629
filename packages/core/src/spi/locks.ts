import type { Observable, ObservableInput } from 'rxjs';
import type { MemberId } from '../ids.js';

/**
 * Locks and leader seats share one backend interface; `kind` keeps their
 * names apart so a user lock called `leader_of_x` never meets a leader seat.
 */
export interface LockKey {
  readonly kind: 'lock' | 'leader';
  readonly name: string;
}

/** What the driver needs to refer to one hold later. Drivers may add fields. */
export interface LockHandle {
  /** Strictly increasing per lock key across all holders, from the backend itself. */
  readonly token: bigint;
  /**
   * Optional push signal that this hold is gone (a watch on the key saw it
   * deleted). Emitting means stolen (someone else removed it), erroring means
   * expired. It must replay to a late subscriber: core subscribes only once
   * the acquire's answer has been handled, and a loss that reached the driver
   * first (in the same read as the answer) must not be dropped. A
   * `ReplaySubject(1)` does this.
   */
  readonly lost$?: Observable<unknown>;
}

export type TryAcquireResult =
  | { readonly acquired: true; readonly handle: LockHandle }
  | {
      readonly acquired: false;
      /** When to try again if no release notification arrives (the holder's remaining TTL, or a poll interval). */
      readonly retryAfter?: number;
    };

export interface LockHolder {
  readonly memberId: MemberId;
  readonly token: bigint;
}

export type LockChange =
  | { readonly type: 'acquired'; readonly holder: MemberId }
  | { readonly type: 'released' }
  /** The driver may have missed changes; re-read the holder. */
  | { readonly type: 'resync' };

export interface LockOptions {
  /** Milliseconds the backend keeps the hold without a refresh (TTL drivers). */
  readonly ttl: number;
}

export interface LockBackend {
  /** One attempt, no waiting. Each call is a distinct owner, even within one session. */
  tryAcquire(key: LockKey, options: LockOptions): ObservableInput<TryAcquireResult>;
  /**
   * Fair queued acquire (ZooKeeper, etcd): emits the handle once held and
   * completes. Unsubscribing before it emits abandons the attempt and must
   * remove any queue entry. When present, core uses it instead of tryAcquire.
   */
  acquireQueued?(key: LockKey, options: LockOptions): Observable<LockHandle>;
  /** Releases if still ours; emits false when it was not held by this handle. */
  release(key: LockKey, handle: LockHandle): ObservableInput<boolean>;
  /** Present on TTL drivers: extends the hold; emits false when it is no longer ours. */
  refresh?(key: LockKey, handle: LockHandle, options: LockOptions): ObservableInput<boolean>;
  /** Who holds the key now, or null. */
  holder(key: LockKey): ObservableInput<LockHolder | null>;
  /**
   * Hot stream of changes to the key (push drivers). Waiters retry on
   * `released`; `leader$` re-reads on any change. Poll drivers may return
   * EMPTY and rely on `retryAfter`.
   */
  changes(key: LockKey): Observable<LockChange>;
  /** Deletes whatever hold exists (tooz's `break_`). */
  forceRelease?(key: LockKey): ObservableInput<boolean>;
}
