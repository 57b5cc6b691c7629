import type { Observable, Subscription } from 'rxjs';
import type { HoldLoss } from '../spi/loss.js';
import { isRetryable, type LossReason } from '../errors/errors.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from './backoff.js';
import type { ConnectionState } from './connection-state.js';
import { type CoreContext, refreshInterval, safetyMargin } from './context.js';
import { Telemetry } from './telemetry.js';
import type { Timer } from './timer-queue.js';

export interface HoldOptions {
  readonly ttl: number;
  /** When the acquire or join that created the hold was sent. */
  readonly confirmedAt: number;
  /** Present on TTL backends: extends the hold, emitting false when it is gone. */
  readonly refresh?: () => Observable<boolean>;
  /** The backend's push signal that the hold is gone (a watch on its key). */
  readonly lost$?: Observable<HoldLoss>;
  readonly onLost: (reason: LossReason, cause?: unknown) => void;
  /** `true` while the hold cannot be proven (suspended, refresh failing, after a stall). */
  readonly onAtRisk?: (atRisk: boolean) => void;
  /** What is held, for telemetry: `lock invoices`, `membership of workers`. */
  readonly what?: string;
}

/**
 * Keeps one held thing (a lock, a membership) alive and watched, the same way
 * for both: connection signals, the backend's loss push, and on TTL backends
 * refreshes with the loss declared at the last confirmed refresh (dated from
 * its send) plus the TTL minus a safety margin, before the backend can give
 * the thing to anyone else.
 *
 * Every time is counted from that last confirmed send, never from an answer:
 * the loss timer is armed the moment the hold exists, and the next refresh is
 * due a refresh interval after the last confirmed send (at once if already
 * due), so a slow answer shortens the wait for the next refresh instead of
 * pushing it past the deadline. `check()` evaluates the deadline on demand,
 * so a read made after an event-loop stall sees the truth before any overdue
 * timer has run.
 */
export class Hold {
  private lastConfirmed: number;
  private work: Subscription | Timer | undefined;
  private lossTimer: Timer | undefined;
  private readonly stopListening: () => void;
  private readonly lostWatch: Subscription | undefined;
  private suspended = false;
  private refreshFailing = false;
  /** A stall ate into the margin: unproven until a refresh sent after it is confirmed. */
  private stalled = false;
  private backoffState: Backoff | undefined;
  private ended = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly options: HoldOptions,
  ) {
    this.lastConfirmed = options.confirmedAt;
    this.stopListening = ctx.connection.listen((state) => this.onConnection(state));
    ctx.watchdog.add(this);
    // Granted while the connection is down (the answer came before the signal cleared): not provable yet.
    if (ctx.connection.state === 'suspended') {
      this.suspended = true;
      this.publish();
    }
    this.lostWatch = options.lost$?.subscribe({
      next: (loss) => this.lose(loss?.reason === 'expired' ? 'expired' : 'stolen', loss?.cause),
      error: (error: unknown) => this.lose('expired', error),
    });
    if (options.refresh && !this.ended) {
      this.armLossTimer();
      this.scheduleRefresh(this.refreshDue());
    }
  }

  /** The answer to the acquire came too late to be trusted (TTL backends only). */
  static tooLate(ctx: CoreContext, ttl: number, sentAt: number): boolean {
    return ctx.scheduler.now() >= sentAt + ttl - safetyMargin(ttl);
  }

  get ttl(): number {
    return this.options.ttl;
  }

  /**
   * Evaluates the deadline now: reports the loss synchronously if it has
   * passed. Returns whether the hold is still in force.
   */
  check(): boolean {
    if (this.ended) return false;
    if (this.options.refresh && this.ctx.scheduler.now() >= this.deadline) this.lose('expired');
    return !this.ended;
  }

  /**
   * The event loop stood still for `lag` ms. A stall that eats into the
   * margin leaves the hold unproven: at-risk until a refresh sent after the
   * stall is confirmed (or, without refreshes, until the watchdog sees the
   * loop run on time again with the session intact).
   */
  onStall(lag: number): void {
    if (!this.check() || lag < safetyMargin(this.options.ttl)) return;
    // Without refreshes the hold rests on the session, whose own deadline the probe evaluates now:
    // marking it at-risk until a lag-free tick would leave it unproven for as long as a loaded machine lags.
    if (!this.options.refresh) return this.ctx.probe();
    this.stalled = true;
    this.publish();
    this.scheduleRefresh(0);
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening();
    this.ctx.watchdog.delete(this);
    this.lostWatch?.unsubscribe();
    this.work?.unsubscribe();
    this.lossTimer?.unsubscribe();
  }

  private get deadline(): number {
    return this.lastConfirmed + this.options.ttl - safetyMargin(this.options.ttl);
  }

  private refreshDue(): number {
    return Math.max(0, this.lastConfirmed + refreshInterval(this.options.ttl) - this.ctx.scheduler.now());
  }

  private armLossTimer(): void {
    this.lossTimer?.unsubscribe();
    this.lossTimer = this.ctx.timers.after(this.deadline - this.ctx.scheduler.now(), () => this.check());
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
    // Evaluated first: a stalled process hears `reconnected` before its overdue loss timer runs, and
    // clearing the risk then would report `held` for a hold whose deadline has passed.
    if (!this.check()) return;
    this.options.onAtRisk?.(this.suspended || this.refreshFailing || this.stalled);
  }

  private scheduleRefresh(delay: number): void {
    if (this.ended) return;
    this.work?.unsubscribe();
    this.work = this.ctx.timers.after(delay, () => this.refresh());
  }

  private refresh(): void {
    const refresh = this.options.refresh;
    if (!refresh || !this.check()) return;
    const sentAt = this.ctx.scheduler.now();
    let settled = false;
    const request = refresh().subscribe({
      next: (stillHeld) => {
        settled = true;
        if (this.ended) return;
        if (!stillHeld) return this.lose('expired');
        // Checked before the confirmation counts: an answer that arrives after a stall proves nothing now.
        if (!this.check()) return;
        this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
        this.armLossTimer();
        this.refreshFailing = false;
        this.stalled = false;
        this.backoffState?.reset();
        this.publish();
        this.scheduleRefresh(this.refreshDue());
      },
      error: (error: unknown) => {
        settled = true;
        if (this.ended) return;
        if (!isRetryable(error)) return this.lose('expired', error);
        this.ctx.telemetry.emit({
          kind: 'refresh-failed',
          memberId: this.ctx.memberId,
          what: this.options.what ?? 'a hold',
          error: Telemetry.text(error),
        });
        this.refreshFailing = true;
        this.publish();
        this.backoffState ??= exactBackoff(this.ctx.timings.retryDelay, this.ctx.timings.maxRetryDelay);
        this.scheduleRefresh(this.backoffState.next());
      },
    });
    if (!settled) this.work = request;
  }
}
