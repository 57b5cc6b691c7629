import type { Observable, ObservableInput } from 'rxjs';
import type { MemberId } from '../ids.js';
import type { HoldLoss } from './loss.js';

/**
 * Locks and leader seats share one backend interface; `kind` keeps their
 * names apart so a user lock called `leader_of_x` never meets a leader seat.
 */
export interface LockKey {
  readonly kind: 'lock' | 'leader';
  readonly name: string;
}

/**
 * What the driver needs to refer to one hold later. Drivers extend it with
 * their own fields and declare `LockBackend<TheirHandle>`: core hands back
 * exactly the handle the driver gave, so no driver casts.
 */
export interface LockHandle {
  /** Strictly increasing per lock key across all holders, from the backend itself. */
  readonly token: bigint;
  /**
   * Optional push signal that this hold is gone (a watch on the key saw it
   * deleted), with the reason. It must replay to a late subscriber: core
   * subscribes only once the acquire's answer has been handled, and a loss
   * that reached the driver first (in the same read as the answer) must not
   * be dropped. Build it with the kit's `LossSignal`. (An error on it is read
   * as `expired`, for drivers written against SPI 1.0.)
   */
  readonly lost$?: Observable<HoldLoss>;
  /**
   * Scheduler time of the send of the request that granted the hold, when
   * that was later than core's call (a queued acquire granted by a later
   * request). Core dates the hold's deadline from it; absent, from the call.
   * Never later than the real send.
   */
  readonly sentAt?: number;
}

export type TryAcquireResult<H extends LockHandle = LockHandle> =
  | { readonly acquired: true; readonly handle: H }
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

export interface LockBackend<H extends LockHandle = LockHandle> {
  /** One attempt, no waiting. Each call is a distinct owner, even within one session. */
  tryAcquire(key: LockKey, options: LockOptions): ObservableInput<TryAcquireResult<H>>;
  /**
   * Fair queued acquire (ZooKeeper, etcd): emits the handle once held and
   * completes. Unsubscribing before it emits abandons the attempt and must
   * remove any queue entry. When present, core uses it instead of tryAcquire.
   */
  acquireQueued?(key: LockKey, options: LockOptions): Observable<H>;
  /** Releases if still ours; emits false when it was not held by this handle. */
  release(key: LockKey, handle: H): ObservableInput<boolean>;
  /** Present on TTL drivers: extends the hold; emits false when it is no longer ours. */
  refresh?(key: LockKey, handle: H, options: LockOptions): ObservableInput<boolean>;
  /** Who holds the key now, or null. */
  holder(key: LockKey): ObservableInput<LockHolder | null>;
  /**
   * Hot stream of changes to the key (push drivers). Waiters retry on
   * `released`; `leader$` re-reads on any change. Drivers whose descriptor
   * says `notifications: 'poll'` return EMPTY: core re-reads the holder every
   * poll interval itself.
   */
  changes(key: LockKey): Observable<LockChange>;
  /** Deletes whatever hold exists (tooz's `break_`). */
  forceRelease?(key: LockKey): ObservableInput<boolean>;
}
