import type { Observable, Subscription } from 'rxjs';
import { type LossListener, LossObservable, type LossSignal } from '../driver/loss-signal.js';
import type { HoldLoss } from '../spi/loss.js';
import { isRetryable, type LossReason } from '../errors/errors.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from './backoff.js';
import type { ConnectionState } from './connection-state.js';
import { type CoreContext, refreshInterval, safetyMargin } from './context.js';
import { Telemetry } from './telemetry.js';
import type { StallListener } from './stall-watchdog.js';
import type { Timer } from './timer-queue.js';

/** The lock or membership a Hold keeps: told through methods, so a hold allocates no closures. */
export interface HoldOwner {
  /** The hold is gone. Called once, after the Hold has stopped itself. */
  holdLost(reason: LossReason, cause?: unknown): void;
  /** `true` while the hold cannot be proven (suspended, refresh failing, after a stall). */
  holdAtRisk?(atRisk: boolean): void;
  /** Extends the hold (TTL backends; see `refreshes`): emits false when it is gone. */
  refreshHold(): Observable<boolean>;
  /** What is held, for telemetry: `lock invoices`, `membership of workers`. */
  holdName(): string;
}

/**
 * Keeps one held thing (a lock, a membership) alive and watched, the same way
 * for both: connection signals, the backend's loss push, and on TTL backends
 * refreshes with the loss declared at the last confirmed refresh (dated from
 * its send) plus the TTL minus a safety margin, before the backend can give
 * the thing to anyone else.
 *
 * Every time is counted from that last confirmed send, never from an answer:
 * the deadline is armed the moment the hold exists, and the next refresh is
 * due a refresh interval after the last confirmed send (at once if already
 * due), so a slow answer shortens the wait for the next refresh instead of
 * pushing it past the deadline. One timer serves both, armed for whichever
 * comes first (a refresh is always due before the deadline, so while none is
 * in flight the deadline needs no timer of its own). `check()` evaluates the
 * deadline on demand, so a read made after an event-loop stall sees the truth
 * before any overdue timer has run. Connection changes and stalls reach it
 * through its owner (registered in `ctx.held`), not through registrations
 * of its own.
 */
export class Hold implements StallListener, LossListener {
  private lastConfirmed: number;
  /** When the next refresh is due: Infinity while one is in flight. */
  private refreshAt = Number.POSITIVE_INFINITY;
  private timer: Timer | undefined;
  private timerAt = Number.NaN;
  private fire: (() => void) | undefined;
  private request: Subscription | undefined;
  /** The driver's loss push: listened to directly when it is core's own LossSignal, else subscribed. */
  private lostWatch: Subscription | undefined;
  private lossSignal: LossSignal | undefined;
  private suspended = false;
  private refreshFailing = false;
  /** A stall ate into the margin: unproven until a refresh sent after it is confirmed. */
  private stalled = false;
  private backoffState: Backoff | undefined;
  private ended = false;
  private readonly ttl: number;
  private readonly refreshes: boolean;

  /**
   * Arguments, not an options object: an object literal made on every
   * acquire may be pretenured by V8 (see LinkedEntry), and this one would keep
   * the handle's loss signal, and through it the whole hold, alive until a
   * full GC.
   * @param ttl - the hold's TTL.
   * @param confirmedAt - when the acquire or join that created the hold was sent.
   * @param refreshes - a TTL backend: the owner's `refreshHold` extends the hold, and the hold has a deadline.
   * @param lost$ - the backend's push signal that the hold is gone (a watch on its key).
   */
  constructor(
    private readonly ctx: CoreContext,
    private readonly owner: HoldOwner,
    ttl: number,
    confirmedAt: number,
    refreshes: boolean,
    lost$: Observable<HoldLoss> | undefined,
  ) {
    this.ttl = ttl;
    this.refreshes = refreshes;
    this.lastConfirmed = confirmedAt;
    ctx.watchdog.add();
    // Granted while the connection is down (the answer came before the signal cleared): not provable yet.
    if (ctx.connection.state === 'suspended') {
      this.suspended = true;
      this.publish();
    }
    if (lost$ instanceof LossObservable) {
      // Set first: a loss reported already is told inside listen(), and stop() must find the signal.
      this.lossSignal = lost$.signal;
      lost$.signal.listen(this);
    } else if (lost$) {
      this.lostWatch = lost$.subscribe({
        next: (loss) => this.onLoss(loss),
        error: (error: unknown) => this.lose('expired', error),
      });
    }
    if (this.refreshes && !this.ended) {
      this.refreshAt = this.lastConfirmed + refreshInterval(this.ttl);
      this.arm();
    }
  }

  /** The answer to the acquire came too late to be trusted (TTL backends only). */
  static tooLate(ctx: CoreContext, ttl: number, sentAt: number): boolean {
    return ctx.scheduler.now() >= sentAt + ttl - safetyMargin(ttl);
  }

  /**
   * Evaluates the deadline now: reports the loss synchronously if it has
   * passed. Returns whether the hold is still in force.
   */
  check(): boolean {
    if (this.ended) return false;
    if (this.refreshes && this.ctx.scheduler.now() >= this.deadline) this.lose('expired');
    return !this.ended;
  }

  /**
   * The event loop stood still for `lag` ms. A stall that eats into the
   * margin leaves the hold unproven: at-risk until a refresh sent after the
   * stall is confirmed (or, without refreshes, until the watchdog sees the
   * loop run on time again with the session intact).
   */
  onStall(lag: number): void {
    if (!this.check() || lag < safetyMargin(this.ttl)) return;
    // Without refreshes the hold rests on the session, whose own deadline the probe evaluates now:
    // marking it at-risk until a lag-free tick would leave it unproven for as long as a loaded machine lags.
    if (!this.refreshes) return this.ctx.probe();
    this.stalled = true;
    this.publish();
    this.scheduleRefresh(0);
  }

  /** The driver says the hold is gone (LossListener). */
  onLoss(loss: HoldLoss | undefined): void {
    this.lose(loss?.reason === 'expired' ? 'expired' : 'stolen', loss?.cause);
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.watchdog.delete();
    this.lossSignal?.unlisten(this);
    this.lostWatch?.unsubscribe();
    this.request?.unsubscribe();
    this.timer?.unsubscribe();
  }

  private get deadline(): number {
    return this.lastConfirmed + this.ttl - safetyMargin(this.ttl);
  }

  /** One timer, for the next refresh or the deadline, whichever comes first. */
  private arm(): void {
    if (this.ended) return;
    const at = Math.min(this.refreshAt, this.deadline);
    if (this.timer && this.timerAt === at) return;
    this.timer?.unsubscribe();
    this.timerAt = at;
    this.fire ??= () => this.onTimer();
    this.timer = this.ctx.timers.at(at, this.fire);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.check()) return;
    if (this.ctx.scheduler.now() >= this.refreshAt) this.refresh();
    else this.arm();
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.ended) return;
    this.stop();
    this.owner.holdLost(reason, cause);
  }

  onConnection(state: ConnectionState): void {
    switch (state) {
      case 'suspended':
        this.suspended = true;
        break;
      case 'reconnected':
        this.suspended = false;
        if (this.refreshes) this.scheduleRefresh(0);
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
    this.owner.holdAtRisk?.(this.suspended || this.refreshFailing || this.stalled);
  }

  /** The next refresh in `delay` ms; one in flight is dropped (its answer would prove less). */
  private scheduleRefresh(delay: number): void {
    if (this.ended) return;
    this.request?.unsubscribe();
    this.request = undefined;
    this.refreshAt = this.ctx.scheduler.now() + Math.max(0, delay);
    this.arm();
  }

  private refresh(): void {
    if (!this.check()) return;
    const sentAt = this.ctx.scheduler.now();
    this.refreshAt = Number.POSITIVE_INFINITY;
    this.arm();
    let settled = false;
    const request = this.owner.refreshHold().subscribe({
      next: (stillHeld) => {
        settled = true;
        this.request = undefined;
        if (this.ended) return;
        if (!stillHeld) return this.lose('expired');
        // Checked before the confirmation counts: an answer that arrives after a stall proves nothing now.
        if (!this.check()) return;
        this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
        this.refreshFailing = false;
        this.stalled = false;
        this.backoffState?.reset();
        this.publish();
        if (this.ended) return;
        this.refreshAt = this.lastConfirmed + refreshInterval(this.ttl);
        this.arm();
      },
      error: (error: unknown) => {
        settled = true;
        this.request = undefined;
        if (this.ended) return;
        if (!isRetryable(error)) return this.lose('expired', error);
        this.ctx.telemetry.emit({
          kind: 'refresh-failed',
          memberId: this.ctx.memberId,
          what: this.owner.holdName(),
          error: Telemetry.text(error),
        });
        this.refreshFailing = true;
        this.publish();
        this.backoffState ??= exactBackoff(this.ctx.timings.retryDelay, this.ctx.timings.maxRetryDelay);
        this.scheduleRefresh(this.backoffState.next());
      },
    });
    if (!settled) this.request = request;
  }
}
