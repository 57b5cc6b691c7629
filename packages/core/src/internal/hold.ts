import type { Observable, Subscription } from 'rxjs';
import { isRetryable, type LossReason } from '../errors/errors.js';
import { Backoff } from './backoff.js';
import type { ConnectionState } from './connection-state.js';
import { type CoreContext, refreshInterval, safetyMargin } from './context.js';
import type { Timer } from './timer-queue.js';

export interface HoldOptions {
  readonly ttl: number;
  /** When the acquire or join that created the hold was sent. */
  readonly confirmedAt: number;
  /** Present on TTL backends: extends the hold, emitting false when it is gone. */
  readonly refresh?: () => Observable<boolean>;
  /** The backend's push signal that the hold is gone (a watch on its key). */
  readonly lost$?: Observable<unknown>;
  readonly onLost: (reason: LossReason, cause?: unknown) => void;
  /** `true` while the hold cannot be proven (suspended, refresh failing). */
  readonly onAtRisk?: (atRisk: boolean) => void;
}

/**
 * Keeps one held thing (a lock, a membership) alive and watched, the same way
 * for both: connection signals, the backend's loss push, and on TTL backends
 * refreshes every ttl/3 with the loss declared at the last confirmed refresh
 * (timed from when it was sent) plus the TTL minus a safety margin, before
 * the backend can give the thing to anyone else. Every timer callback
 * re-checks that deadline, so a process that was paused finds out on its
 * first tick. In steady state it holds a single timer.
 */
export class Hold {
  private lastConfirmed: number;
  private work: Subscription | Timer | undefined;
  private lossTimer: Timer | undefined;
  private readonly stopListening: () => void;
  private readonly lostWatch: Subscription | undefined;
  private suspended = false;
  private refreshFailing = false;
  private backoffState: Backoff | undefined;
  private ended = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly options: HoldOptions,
  ) {
    this.lastConfirmed = options.confirmedAt;
    this.stopListening = ctx.connection.listen((state) => this.onConnection(state));
    // Granted while the connection is down (the answer came before the signal cleared): not provable yet.
    if (ctx.connection.state === 'suspended') {
      this.suspended = true;
      this.publish();
    }
    this.lostWatch = options.lost$?.subscribe({
      next: () => this.lose('stolen'),
      error: (error: unknown) => this.lose('expired', error),
    });
    if (options.refresh) this.scheduleRefresh(refreshInterval(options.ttl));
  }

  /** The answer to the acquire came too late to be trusted (TTL backends only). */
  static tooLate(ctx: CoreContext, ttl: number, sentAt: number): boolean {
    return ctx.scheduler.now() >= sentAt + ttl - safetyMargin(ttl);
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening();
    this.lostWatch?.unsubscribe();
    this.work?.unsubscribe();
    this.lossTimer?.unsubscribe();
  }

  private get deadline(): number {
    return this.lastConfirmed + this.options.ttl - safetyMargin(this.options.ttl);
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.ended) return;
    this.stop();
    this.options.onLost(reason, cause);
  }

  private onConnection(state: ConnectionState): void {
    switch (state) {
      case 'suspended':
        this.suspended = true;
        break;
      case 'reconnected':
        this.suspended = false;
        if (this.options.refresh) this.scheduleRefresh(0);
        break;
      case 'lost':
        return this.lose('session-lost');
      default:
        return;
    }
    this.publish();
  }

  private publish(): void {
    this.options.onAtRisk?.(this.suspended || this.refreshFailing);
  }

  private scheduleRefresh(delay: number): void {
    if (this.ended) return;
    this.work?.unsubscribe();
    this.work = this.ctx.timers.after(delay, () => this.refresh());
  }

  private refresh(): void {
    const refresh = this.options.refresh;
    if (this.ended || !refresh) return;
    if (this.ctx.scheduler.now() >= this.deadline) return this.lose('expired');
    this.lossTimer ??= this.ctx.timers.after(this.deadline - this.ctx.scheduler.now(), () => this.lose('expired'));
    const sentAt = this.ctx.scheduler.now();
    let settled = false;
    const request = refresh().subscribe({
      next: (stillHeld) => {
        settled = true;
        if (this.ended) return;
        if (!stillHeld) return this.lose('expired');
        this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
        if (this.ctx.scheduler.now() >= this.deadline) return this.lose('expired');
        this.lossTimer?.unsubscribe();
        this.lossTimer = undefined;
        this.refreshFailing = false;
        this.backoffState?.reset();
        this.publish();
        this.scheduleRefresh(refreshInterval(this.options.ttl));
      },
      error: (error: unknown) => {
        settled = true;
        if (this.ended) return;
        if (!isRetryable(error)) return this.lose('expired', error);
        this.refreshFailing = true;
        this.publish();
        this.backoffState ??= new Backoff(this.ctx.timings.retryDelay, this.ctx.timings.maxRetryDelay);
        this.scheduleRefresh(this.backoffState.next());
      },
    });
    if (!settled) this.work = request;
  }
}
