import type { Observable, ObservableInput } from 'rxjs';
import type { MemberId } from '../ids.js';
import type { HoldLoss } from './loss.js';

/**
 * Locks and leader seats share one backend interface; `kind` keeps their
 * names apart so a user lock called `leader_of_x` never meets a leader seat.
 */
export interface LockKey {
  /** `lock` for `coordinator.lock()`, `leader` for a leadership seat. */
  readonly kind: 'lock' | 'leader';
  /** The lock name or the group id. */
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

/** What one `tryAcquire` attempt found. */
export type TryAcquireResult<H extends LockHandle = LockHandle> =
  | {
      /** The lock is now held by this session. */
      readonly acquired: true;
      /** What core hands back to refresh and release this hold. */
      readonly handle: H;
    }
  | {
      /** Someone else holds it. */
      readonly acquired: false;
      /** When to try again if no release notification arrives (the holder's remaining TTL, or a poll interval). */
      readonly retryAfter?: number;
    };

/** Who holds a lock now, as `coordinator.lockHolder()` reports it. */
export interface LockHolder {
  /** The holding member's id. */
  readonly memberId: MemberId;
  /** The hold's fencing token. */
  readonly token: bigint;
}

/** A change to one lock that `changes(key)` pushes, so that waiters retry at once rather than at their next poll. */
export type LockChange =
  | {
      /** Someone took the lock. */
      readonly type: 'acquired';
      /** The new holder. */
      readonly holder: MemberId;
    }
  | {
      /** The lock became free. */
      readonly type: 'released';
    }
  /** The driver may have missed changes; re-read the holder. */
  | {
      /** Core re-reads the holder. */
      readonly type: 'resync';
    };

/** What core passes with every acquire and refresh. */
export interface LockOptions {
  /** Milliseconds the backend keeps the hold without a refresh (TTL drivers). */
  readonly ttl: number;
}

/**
 * A driver's locks (`DriverSession.locks`), for leader seats too. Core owns
 * waiting, refreshing and loss; the driver makes single attempts atomic.
 */
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
