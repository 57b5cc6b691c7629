import { Observable, type ObservableInput, of, type Subscriber, type Subscription } from 'rxjs';
import type { Timer } from '../internal/timer-queue.js';
import {
  CoordinatorClosedError,
  isRetryable,
  LockLostError,
  LockTimeoutError,
  type LossReason,
} from '../errors/errors.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from '../internal/backoff.js';
import { type CallObserver, type CallSubscription, call, subscribeCall } from '../internal/call.js';
import type { ConnectionState } from '../internal/connection-state.js';
import type { CoreContext, Held } from '../internal/context.js';
import type { LinkedEntry } from '../driver/linked-set.js';
import { Hold, type HoldOwner } from '../internal/hold.js';
import type { LocalWaiter } from '../internal/local-mutex.js';
import { LockTrace } from '../internal/lock-trace.js';
import type { LockBackend, LockHandle, LockKey, TryAcquireResult } from '../spi/locks.js';
import { type LeaseDeadlines, LeaseImpl, type LockLease } from './lease.js';

export interface LockRunOptions {
  readonly ttl: number;
  /** Milliseconds to wait for the lock; Infinity waits for ever, 0 tries once. */
  readonly wait: number;
}

/** An attempt as it was sent: when, after how many session losses, and by which path. */
interface Sent {
  readonly at: number;
  readonly losses: number;
  readonly queued: boolean;
}

/**
 * One attempt: how it was sent, and what hears its answer. One object, not
 * an observer with two closures and a record beside it: every acquire makes one.
 */
class Attempt implements Sent, CallObserver<TryAcquireResult | LockHandle> {
  settled = false;

  constructor(
    private readonly run: LockRun,
    readonly at: number,
    readonly losses: number,
    readonly queued: boolean,
  ) {}

  next(result: TryAcquireResult | LockHandle): void {
    this.settled = true;
    this.run.onAttemptAnswer(result, this);
  }

  error(error: unknown): void {
    this.settled = true;
    this.run.onAttemptFailed(error, this);
  }
}

/**
 * The lock state machine. One run per subscription:
 * local slot → backend attempts → held (refreshed before the TTL, watched
 * for loss) → released on unsubscribe, or lost (error).
 *
 * Waiting: the first attempt goes out alone (an uncontended lock costs one
 * round trip and no watch). Only when it fails does the run watch the key
 * for releases, and it then tries once more so that a release between the
 * failed attempt and the watch is not missed. After that, attempts are driven
 * by release notifications, with the driver's `retryAfter` (the holder's
 * remaining TTL) as the only timer.
 *
 * Safety rules, in order of importance:
 * 1. A TTL hold is reported lost no later than the last *confirmed* refresh
 *    (timed from when that request was sent) plus the TTL minus a safety
 *    margin, so the holder stops before the backend can hand the lock to
 *    anyone else. Every timer callback re-checks the deadline, so a process
 *    that was paused finds out on its first tick.
 * 2. An acquire in flight is never abandoned: if the subscriber has gone when
 *    it succeeds, the hold is released at once instead of leaking.
 * 3. Every hold ends with a backend release, even after a loss (a
 *    compare-and-delete that is harmless when someone else holds it).
 */
export class LockRun implements Held, HoldOwner, LocalWaiter, LeaseDeadlines {
  /** The hold ended in a loss (reported as such, not as a release). */
  private lost = false;
  private phase: 'waiting' | 'held' | 'ended' = 'waiting';
  private slotGranted = false;
  private slotLeft = false;
  private heldNode: LinkedEntry<Held> | undefined;
  private deadlinePassed = false;
  private deadlineTimer: Timer | undefined;
  private changes: Subscription | undefined;
  /** The backend request or pause in progress (an attempt, a refresh, a backoff). */
  private work: CallSubscription | Timer | undefined;
  private attemptInFlight = false;
  /** A release notification arrived while an attempt was in flight: its "no" may be stale. */
  private woken = false;
  private handle: LockHandle | undefined;
  private lease: LeaseImpl | undefined;
  private hold: Hold | undefined;
  private backoffState: Backoff | undefined;
  private trace: LockTrace | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: LockBackend,
    private readonly key: LockKey,
    private readonly options: LockRunOptions,
    private readonly subscriber: Subscriber<LockLease>,
  ) {}

  start(): void {
    this.heldNode = this.ctx.held.add(this);
    this.traced()?.acquiring();
    const { wait } = this.options;
    if (wait <= 0) this.deadlinePassed = true;
    else if (Number.isFinite(wait)) this.deadlineTimer = this.ctx.timers.after(wait, () => this.onDeadline());
    // The grant, and even the whole hold, may happen synchronously inside enter().
    this.ctx.localLocks.enter(this.slotKey, this);
    // Queued behind a local holder with no time to wait: that is a timeout, not a wait.
    if (!this.slotGranted && this.deadlinePassed && this.phase === 'waiting') this.timeOut();
  }

  /** Unsubscribe: release what is held, abandon what is pending. */
  dispose(): void {
    if (this.phase === 'held') {
      this.end();
      this.lease?.end();
      this.releaseBackend();
    } else if (this.phase === 'waiting') {
      this.traced()?.cancelled();
      this.endWaiting();
    }
  }

  /**
   * `close()`, the user's own act and never a loss: the lease's signal
   * aborts (closed) so work in flight stops, and the stream completes once
   * the backend has confirmed the release. A wait still pending completes.
   */
  shutdown(): void {
    if (this.phase === 'held') {
      this.end();
      this.lease?.end(new CoordinatorClosedError());
      this.releaseBackend(() => this.subscriber.complete());
    } else if (this.phase === 'waiting') {
      this.traced()?.cancelled();
      this.endWaiting();
      this.subscriber.complete();
    }
  }

  private get backoff(): Backoff {
    this.backoffState ??= exactBackoff(this.ctx.timings.retryDelay, this.ctx.timings.maxRetryDelay);
    return this.backoffState;
  }

  /** While waiting: a reconnection may mean a missed release. While held: the Hold's to judge. */
  onConnection(state: ConnectionState): void {
    if (this.phase === 'waiting' && state === 'reconnected') this.wake();
    else this.hold?.onConnection(state);
  }

  onStall(lag: number): void {
    this.hold?.onStall(lag);
  }

  // --- waiting -------------------------------------------------------------

  /** Built once: it is looked up on entering and on leaving. */
  private slotKeyText: string | undefined;

  private get slotKey(): string {
    this.slotKeyText ??= `${this.key.kind}\u0000${this.key.name}`;
    return this.slotKeyText;
  }

  /** The local slot is ours (LocalWaiter); also the queued path's way to go again. */
  onLocalSlot(): void {
    this.slotGranted = true;
    if (this.phase !== 'waiting') return;
    // Handed the slot by a holder that close() is releasing: the wait ends with the coordinator.
    if (this.ctx.isClosed()) return this.shutdown();
    // `wait: 0` means try once: a fair queue would wait for ever, so queued backends get one tryAcquire.
    if (this.backend.acquireQueued && !this.deadlinePassed) {
      const acquireQueued = this.backend.acquireQueued.bind(this.backend);
      // The run's options are the SPI's LockOptions (a ttl) and more: passed as they are, one object fewer.
      this.runAttempt(() => acquireQueued(this.key, this.options), true);
    } else {
      this.tryOnce();
    }
  }

  private tryOnce(): void {
    if (this.phase !== 'waiting') return;
    this.woken = false;
    this.runAttempt(() => this.backend.tryAcquire(this.key, this.options), false);
  }

  private runAttempt(invoke: () => ObservableInput<TryAcquireResult | LockHandle>, queued: boolean): void {
    const attempt = new Attempt(this, this.ctx.scheduler.now(), this.ctx.connection.losses, queued);
    this.work?.unsubscribe();
    this.attemptInFlight = true;
    // close() waits for it: whatever it grants is given back before the session goes.
    const subscription = subscribeCall(invoke, attempt, this.ctx.pending.begin());
    // A synchronous answer may already have started the next step, which owns `work` now.
    if (!attempt.settled) this.work = subscription;
  }

  /** @internal The attempt's answer (Attempt). */
  onAttemptAnswer(result: TryAcquireResult | LockHandle, sent: Sent): void {
    this.attemptInFlight = false;
    if (sent.queued) this.onAcquired(result as LockHandle, sent);
    else this.onTryResult(result as TryAcquireResult, sent);
  }

  /** @internal The attempt failed (Attempt). */
  onAttemptFailed(error: unknown, sent: Sent): void {
    this.attemptInFlight = false;
    if (this.phase !== 'waiting') return this.releaseSlot();
    if (!isRetryable(error)) return this.fail(error);
    if (this.deadlinePassed) return this.timeOut();
    this.pause(this.backoff.next(), sent.queued ? () => this.onLocalSlot() : () => this.tryOnce());
  }

  private onTryResult(result: TryAcquireResult, sent: Sent): void {
    if (result.acquired) return this.onAcquired(result.handle, sent);
    if (this.phase !== 'waiting') return this.releaseSlot();
    this.backoffState?.reset();
    if (this.woken) return this.tryOnce();
    if (this.deadlinePassed) return this.timeOut();
    if (!this.changes) {
      // First refusal: watch for releases from now on, and look once more in
      // case the holder let go before the watch was in place.
      this.changes = this.backend.changes(this.key).subscribe({
        next: (change) => {
          if (change.type !== 'acquired') this.wake();
        },
        // A broken notification stream leaves the retryAfter fallback in place.
        error: () => undefined,
      });
      return this.tryOnce();
    }
    // On poll backends nothing is pushed: core looks again every poll interval (or sooner, when the holder's TTL ends).
    const delay = Math.min(result.retryAfter ?? Number.POSITIVE_INFINITY, this.ctx.timings.pollInterval);
    if (Number.isFinite(delay)) this.pause(Math.max(1, delay), () => this.tryOnce());
  }

  private pause(delay: number, then: () => void): void {
    this.work?.unsubscribe();
    this.work = this.ctx.timers.after(delay, then);
  }

  private wake(): void {
    if (this.phase !== 'waiting' || !this.slotGranted || this.backend.acquireQueued) return;
    if (this.attemptInFlight) {
      this.woken = true;
      return;
    }
    this.tryOnce();
  }

  private onDeadline(): void {
    this.deadlinePassed = true;
    if (this.phase !== 'waiting') return;
    // An attempt in flight decides: a success is kept rather than wasted.
    if (this.attemptInFlight && !this.backend.acquireQueued) return;
    this.timeOut();
  }

  private timeOut(): void {
    this.traced()?.timedOut();
    this.endWaiting();
    this.subscriber.error(new LockTimeoutError(this.key.name, this.options.wait));
  }

  private fail(error: unknown): void {
    this.traced()?.failed(error);
    this.endWaiting();
    this.subscriber.error(error);
  }

  /**
   * Stops waiting. A tryAcquire in flight is left to finish and give back
   * whatever it won; the local slot is released now, since the next local
   * waiter is a distinct owner on the backend and need not wait for it.
   */
  private endWaiting(): void {
    const keepAttempt = this.attemptInFlight && !this.backend.acquireQueued;
    this.end(keepAttempt);
    if (!keepAttempt) this.attemptInFlight = false;
    this.releaseSlot();
  }

  // --- held ----------------------------------------------------------------

  private onAcquired(handle: LockHandle, sent: Sent): void {
    this.handle = handle;
    if (this.phase !== 'waiting') {
      // The subscriber left (or timed out) while this attempt was in flight.
      this.releaseBackend();
      return;
    }
    const { backend, key } = this;
    const ttl = this.options.ttl;
    // A queued grant may come from a request sent after the call: the driver dates it (never later than its send).
    const sentAt = Math.max(sent.at, handle.sentAt ?? sent.at);
    if (backend.refresh && Hold.tooLate(this.ctx, ttl, sentAt)) {
      // The answer came back too late to be trusted; give it back and go again.
      this.ctx.pending.trackCall(() => backend.release(key, handle));
      this.handle = undefined;
      return this.tryOnce();
    }
    // A session whose deadline passed while the answer was on its way (the process stood still, its
    // timers overdue) is declared lost now, so that the check below gives the grant back rather than
    // hand out a lease that the first read of it would find lost: a leader$ subscriber would have
    // heard true, then false, while another process led (seen in a multi-process history run).
    this.ctx.probe();
    if (this.ctx.connection.losses !== sent.losses) {
      // The session was declared lost while the answer was on its way: every hold has been told,
      // and one made now never would be, while the backend lets the lock go with the session.
      this.ctx.pending.trackCall(() => backend.release(key, handle));
      this.handle = undefined;
      if (this.deadlinePassed) return this.timeOut();
      return sent.queued ? this.onLocalSlot() : this.tryOnce();
    }
    this.phase = 'held';
    this.deadlineTimer?.unsubscribe();
    this.changes?.unsubscribe();
    this.changes = undefined;
    this.work = undefined;
    const lease = new LeaseImpl(key.name, handle.token, this);
    this.lease = lease;
    // Before the Hold, which may report the hold at risk, or lost, as it starts.
    this.traced()?.held(handle.token);
    this.hold = new Hold(this.ctx, this, ttl, sentAt, backend.refresh !== undefined, handle.lost$);
    this.subscriber.next(lease);
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.phase !== 'held') return;
    // Reached from the Hold (which has stopped itself) or from close().
    const error = new LockLostError(this.key.name, reason, cause === undefined ? undefined : { cause });
    this.lost = true;
    this.traced()?.lost(reason);
    this.end();
    this.lease?.lose(error);
    this.releaseBackend();
    this.subscriber.error(error);
  }

  // --- HoldOwner: what the Hold asks and tells ---------------------------

  refreshHold(): Observable<boolean> {
    const { backend, key, handle } = this;
    if (!backend.refresh || !handle) return of(false);
    const refresh = backend.refresh.bind(backend);
    return call(() => refresh(key, handle, { ttl: this.options.ttl }));
  }

  holdLost(reason: LossReason, cause?: unknown): void {
    this.lose(reason, cause);
  }

  holdAtRisk(atRisk: boolean): void {
    this.lease?.setState(atRisk ? 'at-risk' : 'held');
    this.traced()?.risk(atRisk);
  }

  holdName(): string {
    return `${this.key.kind} ${this.key.name}`;
  }

  /** A read of the lease: the session's and the hold's deadlines, evaluated now. */
  probe(): void {
    this.ctx.probe();
    this.hold?.check();
  }

  // --- ending --------------------------------------------------------------

  private end(keepAttempt = false): void {
    this.phase = 'ended';
    this.ctx.held.delete(this.heldNode);
    this.deadlineTimer?.unsubscribe();
    this.changes?.unsubscribe();
    this.changes = undefined;
    this.hold?.stop();
    if (!keepAttempt) this.work?.unsubscribe();
  }

  private releaseBackend(then?: () => void): void {
    const { handle, lease } = this;
    this.handle = undefined;
    if (lease && !this.lost) this.traced()?.releasing();
    const done = () => {
      this.releaseSlot();
      lease?.markReleased();
      if (lease && !this.lost) this.traced()?.released();
      then?.();
    };
    if (!handle) return done();
    this.ctx.pending.trackCall(() => this.backend.release(this.key, handle), done);
  }

  /** This run's telemetry, made the first time anyone listens (nothing is built for a run nobody hears). */
  private traced(): LockTrace | undefined {
    if (!this.ctx.telemetry.wants('lock')) return undefined;
    this.trace ??= new LockTrace(this.ctx, this.key);
    return this.trace;
  }

  private releaseSlot(): void {
    if (this.slotLeft) return;
    this.slotLeft = true;
    this.ctx.localLocks.leave(this.slotKey, this, this.slotGranted);
  }
}

export function lockObservable(
  ctx: CoreContext,
  backend: LockBackend,
  key: LockKey,
  options: LockRunOptions,
): Observable<LockLease> {
  return new Observable<LockLease>((subscriber) => {
    if (ctx.isClosed()) {
      subscriber.error(new CoordinatorClosedError());
      return;
    }
    const run = new LockRun(ctx, backend, key, options, subscriber);
    run.start();
    return () => run.dispose();
  });
}
