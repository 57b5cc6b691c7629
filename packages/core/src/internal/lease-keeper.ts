import { type Observable, type SchedulerLike, Subject, Subscription, timer } from 'rxjs';
import { isRetryable } from '../errors/errors.js';
import type { SessionLease, SessionSignal } from '../spi/driver.js';
import type { Backoff } from '../driver/backoff.js';
import { exactBackoff } from './backoff.js';
import { call } from './call.js';
import { safetyMargin } from './context.js';

/**
 * How often a session lease is beaten. One lease serves the whole
 * coordinator, so beating often is cheap, and it decides which partitions
 * are survived: one shorter than TTL - margin - beat interval - a round trip
 * (0.73 TTL less a round trip here) ends before the lease's local deadline.
 */
export function beatInterval(ttl: number): number {
  return Math.max(1, Math.floor(ttl / 6));
}

/**
 * Keeps a session lease alive and turns its health into session signals.
 *
 * Every time is dated from the *send* of the request that set it, the
 * lease's first grant included (`SessionLease.sentAt`): the local deadline is
 * the last confirmed send plus the TTL minus a margin, before the backend
 * can expire the lease, never after (the etcd3 package waits two TTLs:
 * microsoft/etcd3#155). The next beat is due a beat interval after the last
 * confirmed send, so a slow answer never pushes it past the deadline. A
 * renewal is bounded by its own deadline: one answered after it proves
 * nothing, and is renewed again at once rather than reported `reconnected`.
 */
export class LeaseKeeper {
  private readonly signals = new Subject<SessionSignal>();
  readonly signals$: Observable<SessionSignal> = this.signals.asObservable();
  private work: Subscription | undefined;
  /** Beats sent and not yet answered (several while a partition lasts). */
  private inFlight = new Subscription();
  private lossTimer: Subscription | undefined;
  private lastConfirmed: number;
  private phase: 'alive' | 'suspended' | 'renewing' | 'stopped' = 'alive';
  private readonly backoff: Backoff;

  constructor(
    private readonly lease: SessionLease,
    private readonly scheduler: SchedulerLike,
    retryDelay: number,
    maxRetryDelay: number,
    openedAt: number,
  ) {
    this.backoff = exactBackoff(retryDelay, maxRetryDelay);
    this.lastConfirmed = lease.sentAt ?? openedAt;
  }

  start(): void {
    if (!this.check()) return;
    this.armLossTimer();
    this.scheduleBeat();
  }

  stop(): void {
    this.phase = 'stopped';
    this.work?.unsubscribe();
    this.inFlight.unsubscribe();
    this.lossTimer?.unsubscribe();
    this.signals.complete();
  }

  /** Evaluates the deadline now; reports the loss synchronously if it has passed. Returns whether the lease stands. */
  check(): boolean {
    if (this.phase === 'renewing' || this.phase === 'stopped') return false;
    if (this.scheduler.now() < this.deadline(this.lastConfirmed)) return true;
    this.lost();
    return false;
  }

  private deadline(confirmedAt: number): number {
    const ttl = this.lease.ttl;
    return confirmedAt + ttl - safetyMargin(ttl);
  }

  private after(delay: number, then: () => void): void {
    const next = new Subscription();
    this.work?.unsubscribe();
    this.work = next;
    next.add(timer(Math.max(0, delay), this.scheduler).subscribe(then));
  }

  private scheduleBeat(): void {
    this.after(this.lastConfirmed + beatInterval(this.lease.ttl) - this.scheduler.now(), () => this.beat());
  }

  /**
   * Sends a beat. One unanswered for a beat interval makes the connection
   * suspect (`suspended`) and another beat goes out beside it, so a
   * partition is probed every beat interval and any beat that gets through
   * confirms the lease from its own send. The beats in flight are bounded by
   * the deadline: at most TTL / beat interval of them.
   */
  private beat(): void {
    if (!this.check()) return;
    const sentAt = this.scheduler.now();
    const interval = beatInterval(this.lease.ttl);
    this.after(interval, () => {
      this.suspect();
      this.beat();
    });
    this.inFlight.add(
      call(() => this.lease.beat()).subscribe({
        next: (alive) => {
          if (!alive) return this.lost();
          if (!this.check()) return;
          this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
          this.backoff.reset();
          this.armLossTimer();
          this.inFlight.unsubscribe();
          this.inFlight = new Subscription();
          if (this.phase === 'suspended') {
            this.phase = 'alive';
            this.signals.next('reconnected');
          }
          this.scheduleBeat();
        },
        error: (error: unknown) => {
          this.suspect();
          if (!isRetryable(error)) return this.lost();
          this.after(Math.min(this.backoff.next(), interval), () => this.beat());
        },
      }),
    );
  }

  private suspect(): void {
    if (this.phase !== 'alive') return;
    this.phase = 'suspended';
    this.signals.next('suspended');
  }

  private armLossTimer(): void {
    this.lossTimer?.unsubscribe();
    const delay = Math.max(0, this.deadline(this.lastConfirmed) - this.scheduler.now());
    this.lossTimer = timer(delay, this.scheduler).subscribe(() => this.check());
  }

  /** Reports the loss, then renews until a new lease exists. */
  private lost(): void {
    if (this.phase === 'renewing' || this.phase === 'stopped') return;
    this.phase = 'renewing';
    this.work?.unsubscribe();
    this.inFlight.unsubscribe();
    this.inFlight = new Subscription();
    this.lossTimer?.unsubscribe();
    this.signals.next('lost');
    this.renew();
  }

  private renew(): void {
    if (this.phase !== 'renewing') return;
    const sentAt = this.scheduler.now();
    const request = new Subscription();
    this.work?.unsubscribe();
    this.work = request;
    // Bounded by its own deadline, not by a request timeout: past it, a grant proves nothing.
    request.add(timer(Math.max(0, this.deadline(sentAt) - sentAt), this.scheduler).subscribe(() => this.renew()));
    request.add(
      call(() => this.lease.renew()).subscribe({
        next: () => {
          if (this.scheduler.now() >= this.deadline(sentAt)) return this.renew();
          this.lastConfirmed = sentAt;
          this.phase = 'alive';
          this.backoff.reset();
          this.signals.next('reconnected');
          this.armLossTimer();
          this.scheduleBeat();
        },
        error: () => this.after(this.backoff.next(), () => this.renew()),
      }),
    );
  }
}
