import { Observable, type Subscriber, Subscription, skip, timer } from 'rxjs';
import { ConnectionError, isRetryable, LockLostError, LockTimeoutError, type LossReason } from '../errors/errors.js';
import { Backoff } from '../internal/backoff.js';
import { call } from '../internal/call.js';
import type { ConnectionState } from '../internal/connection-state.js';
import { type CoreContext, type Held, refreshInterval, safetyMargin } from '../internal/context.js';
import type { LockBackend, LockHandle, LockKey, TryAcquireResult } from '../spi/locks.js';
import { LeaseImpl, type LockLease } from './lease.js';

export interface LockRunOptions {
  readonly ttl: number;
  /** Milliseconds to wait for the lock; Infinity waits for ever, 0 tries once. */
  readonly wait: number;
}

/**
 * The lock state machine. One run per subscription:
 * local slot → backend attempts (woken by release notifications, with the
 * driver's retryAfter as the only fallback timer) → held (refreshed before
 * the TTL, watched for loss) → released on unsubscribe, or lost (error).
 *
 * Safety rules, in order of importance:
 * 1. A hold is reported lost no later than the last *confirmed* refresh (timed
 *    from when that request was sent) plus the TTL minus a safety margin, so
 *    the holder stops before the backend can hand the lock to anyone else.
 * 2. An acquire in flight is never abandoned: if the subscriber has gone when
 *    it succeeds, the hold is released at once instead of leaking.
 * 3. Every hold ends with a backend release, even after a loss (a
 *    compare-and-delete that is harmless when someone else holds it).
 */
export class LockRun implements Held {
  private phase: 'waiting' | 'held' | 'ended' = 'waiting';
  private readonly timers = new Subscription();
  private localSlot: Subscription | undefined;
  private slotGranted = false;
  private attempt: Subscription | undefined;
  private attemptInFlight = false;
  /** A release notification arrived while an attempt was in flight: its "no" may be stale. */
  private woken = false;
  private deadlinePassed = false;
  private handle: LockHandle | undefined;
  private lease: LeaseImpl | undefined;
  private lastConfirmed = 0;
  private lossTimer: Subscription | undefined;
  private refreshTimer: Subscription | undefined;
  private suspended = false;
  private refreshFailing = false;
  private readonly backoff: Backoff;
  private readonly startedAt: number;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: LockBackend,
    private readonly key: LockKey,
    private readonly options: LockRunOptions,
    private readonly subscriber: Subscriber<LockLease>,
  ) {
    this.backoff = new Backoff(ctx.timings.retryDelay, ctx.timings.maxRetryDelay);
    this.startedAt = ctx.scheduler.now();
  }

  start(): void {
    this.ctx.held.add(this);
    const { wait } = this.options;
    if (Number.isFinite(wait) && wait > 0) {
      this.timers.add(timer(wait, this.ctx.scheduler).subscribe(() => this.onDeadline()));
    } else if (wait <= 0) {
      this.deadlinePassed = true;
    }
    // The container exists before the grant, which may come synchronously and
    // end synchronously too (a memory backend, a take(1) subscriber).
    const slot = new Subscription();
    this.localSlot = slot;
    slot.add(this.ctx.localLocks.enter(`${this.key.kind}\u0000${this.key.name}`).subscribe(() => this.onLocalSlot()));
    // Queued behind a local holder with no time to wait: that is a timeout, not a wait.
    if (!this.slotGranted && this.deadlinePassed && this.phase === 'waiting') this.timeOut();
  }

  /** Unsubscribe: release what is held, abandon what is pending. */
  dispose(): void {
    if (this.phase === 'held') {
      this.end();
      this.lease?.end();
      this.releaseBackend();
      return;
    }
    if (this.phase === 'waiting') this.endWaiting();
  }

  /** `close()`: the holder is told its lock is gone, then it is released. */
  shutdown(): void {
    if (this.phase === 'held') this.lose('closed');
    else if (this.phase === 'waiting') {
      this.endWaiting();
      this.subscriber.error(new ConnectionError('The coordinator was closed', { retryable: false }));
    }
  }

  // --- waiting -------------------------------------------------------------

  private onLocalSlot(): void {
    this.slotGranted = true;
    if (this.phase !== 'waiting') return;
    const { backend, key } = this;
    if (backend.acquireQueued) {
      this.runAttempt(backend.acquireQueued(key, { ttl: this.options.ttl }), true);
      return;
    }
    this.timers.add(
      backend.changes(key).subscribe({
        next: (change) => {
          if (change.type !== 'acquired') this.wake();
        },
        // A broken notification stream leaves the retryAfter fallback in place.
        error: () => undefined,
      }),
    );
    this.timers.add(
      this.ctx.connection.state$.pipe(skip(1)).subscribe((state) => {
        if (state === 'reconnected') this.wake();
      }),
    );
    this.tryOnce();
  }

  private tryOnce(): void {
    if (this.phase !== 'waiting') return;
    this.woken = false;
    this.runAttempt(call(() => this.backend.tryAcquire(this.key, { ttl: this.options.ttl })), false);
  }

  private runAttempt(source: Observable<TryAcquireResult | LockHandle>, queued: boolean): void {
    const sentAt = this.ctx.scheduler.now();
    const attempt = new Subscription();
    this.attempt?.unsubscribe();
    this.attempt = attempt;
    this.attemptInFlight = true;
    attempt.add(
      source.subscribe({
        next: (result) => {
          this.attemptInFlight = false;
          if (queued) this.onAcquired(result as LockHandle, sentAt);
          else this.onTryResult(result as TryAcquireResult, sentAt);
        },
        error: (error: unknown) => {
          this.attemptInFlight = false;
          if (this.phase !== 'waiting') return this.finishAbandoned();
          if (!isRetryable(error)) return this.fail(error);
          if (this.deadlinePassed) return this.timeOut();
          this.sleep(this.backoff.next(), queued ? () => this.onLocalSlot() : () => this.tryOnce());
        },
      }),
    );
  }

  private onTryResult(result: TryAcquireResult, sentAt: number): void {
    if (result.acquired) return this.onAcquired(result.handle, sentAt);
    if (this.phase !== 'waiting') return this.finishAbandoned();
    this.backoff.reset();
    if (this.woken) return this.tryOnce();
    if (this.deadlinePassed) return this.timeOut();
    if (result.retryAfter !== undefined) this.sleep(Math.max(1, result.retryAfter), () => this.tryOnce());
  }

  private sleep(delay: number, then: () => void): void {
    const pause = new Subscription();
    this.attempt?.unsubscribe();
    this.attempt = pause;
    pause.add(timer(delay, this.ctx.scheduler).subscribe(then));
  }

  private wake(): void {
    if (this.phase !== 'waiting') return;
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
    const waited = this.ctx.scheduler.now() - this.startedAt;
    this.endWaiting();
    this.subscriber.error(new LockTimeoutError(this.key.name, Math.max(waited, this.options.wait)));
  }

  private fail(error: unknown): void {
    this.endWaiting();
    this.subscriber.error(error);
  }

  /** Stops waiting; an attempt in flight is left to finish and clean up after itself. */
  private endWaiting(): void {
    this.end();
    if (!this.attemptInFlight || this.backend.acquireQueued) {
      this.attempt?.unsubscribe();
      this.attemptInFlight = false;
      this.releaseLocalSlot();
    }
  }

  /** The attempt we left running came back with nothing held. */
  private finishAbandoned(): void {
    this.releaseLocalSlot();
  }

  // --- held ----------------------------------------------------------------

  private onAcquired(handle: LockHandle, sentAt: number): void {
    this.handle = handle;
    if (this.phase !== 'waiting') {
      // The subscriber left (or timed out) while this attempt was in flight.
      this.releaseBackend();
      return;
    }
    const ttl = this.options.ttl;
    const ttlBound = this.backend.refresh !== undefined;
    if (ttlBound && this.ctx.scheduler.now() >= sentAt + ttl - safetyMargin(ttl)) {
      // The answer came back too late to be trusted; give it back and go again.
      void this.ctx.pending.track(call(() => this.backend.release(this.key, handle)));
      this.handle = undefined;
      return this.tryOnce();
    }
    this.phase = 'held';
    this.timers.unsubscribe();
    this.attempt = undefined;
    this.lastConfirmed = sentAt;
    this.lease = new LeaseImpl(this.key.name, handle.token);
    this.watchWhileHeld(handle, ttlBound);
    this.subscriber.next(this.lease);
  }

  private watchWhileHeld(handle: LockHandle, ttlBound: boolean): void {
    const watches = new Subscription();
    this.timers.unsubscribe();
    this.refreshTimer = watches;
    watches.add(this.ctx.connection.state$.pipe(skip(1)).subscribe((state) => this.onConnection(state)));
    if (handle.lost$) {
      watches.add(
        handle.lost$.subscribe({
          next: () => this.lose('stolen'),
          error: (error: unknown) => this.lose('expired', error),
        }),
      );
    }
    if (ttlBound) {
      this.armLossTimer();
      this.scheduleRefresh(refreshInterval(this.options.ttl));
    }
  }

  private onConnection(state: ConnectionState): void {
    if (this.phase !== 'held') return;
    switch (state) {
      case 'suspended':
        this.suspended = true;
        break;
      case 'reconnected':
        this.suspended = false;
        if (this.backend.refresh) this.scheduleRefresh(0);
        break;
      case 'lost':
        return this.lose('session-lost');
      default:
        return;
    }
    this.publishState();
  }

  private publishState(): void {
    this.lease?.setState(this.suspended || this.refreshFailing ? 'at-risk' : 'held');
  }

  private armLossTimer(): void {
    const ttl = this.options.ttl;
    const deadline = this.lastConfirmed + ttl - safetyMargin(ttl);
    const delay = Math.max(0, deadline - this.ctx.scheduler.now());
    this.lossTimer?.unsubscribe();
    this.lossTimer = timer(delay, this.ctx.scheduler).subscribe(() => this.lose('expired'));
  }

  private scheduleRefresh(delay: number): void {
    if (this.phase !== 'held') return;
    const next = new Subscription();
    this.attempt?.unsubscribe();
    this.attempt = next;
    next.add(timer(delay, this.ctx.scheduler).subscribe(() => this.refresh()));
  }

  private refresh(): void {
    const { backend, handle } = this;
    if (this.phase !== 'held' || !backend.refresh || !handle) return;
    const refresh = backend.refresh.bind(backend);
    const sentAt = this.ctx.scheduler.now();
    const request = new Subscription();
    this.attempt = request;
    request.add(
      call(() => refresh(this.key, handle, { ttl: this.options.ttl })).subscribe({
        next: (stillOurs) => {
          if (this.phase !== 'held') return;
          if (!stillOurs) return this.lose('expired');
          this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
          this.refreshFailing = false;
          this.backoff.reset();
          this.armLossTimer();
          this.publishState();
          this.scheduleRefresh(refreshInterval(this.options.ttl));
        },
        error: (error: unknown) => {
          if (this.phase !== 'held') return;
          if (!isRetryable(error)) return this.lose('expired', error);
          this.refreshFailing = true;
          this.publishState();
          this.scheduleRefresh(this.backoff.next());
        },
      }),
    );
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.phase !== 'held') return;
    const error = new LockLostError(this.key.name, reason, cause === undefined ? undefined : { cause });
    this.end();
    this.lease?.lose(error);
    this.releaseBackend();
    this.subscriber.error(error);
  }

  // --- ending --------------------------------------------------------------

  private end(): void {
    this.phase = 'ended';
    this.ctx.held.delete(this);
    this.timers.unsubscribe();
    this.refreshTimer?.unsubscribe();
    this.lossTimer?.unsubscribe();
    if (!this.attemptInFlight) this.attempt?.unsubscribe();
  }

  private releaseBackend(): void {
    const { handle, lease } = this;
    this.handle = undefined;
    if (!handle) {
      this.releaseLocalSlot();
      lease?.markReleased();
      return;
    }
    void this.ctx.pending.track(call(() => this.backend.release(this.key, handle)), () => {
      this.releaseLocalSlot();
      lease?.markReleased();
    });
  }

  private releaseLocalSlot(): void {
    const slot = this.localSlot;
    this.localSlot = undefined;
    slot?.unsubscribe();
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
      subscriber.error(new ConnectionError('The coordinator is closed', { retryable: false }));
      return;
    }
    const run = new LockRun(ctx, backend, key, options, subscriber);
    run.start();
    return () => run.dispose();
  });
}
