import { type Observable, type SchedulerLike, Subject, Subscription, timer } from 'rxjs';
import { isRetryable } from '../errors/errors.js';
import type { SessionLease, SessionSignal } from '../spi/driver.js';
import { Backoff } from './backoff.js';
import { call } from './call.js';
import { refreshInterval, safetyMargin } from './context.js';

/**
 * Keeps a session lease alive and turns its health into session signals.
 * Loss is declared at the last confirmed beat (timed from when it was sent)
 * plus the TTL minus a margin: before the backend can expire it, never after
 * (the etcd3 package waits two TTLs: microsoft/etcd3#155).
 */
export class LeaseKeeper {
  private readonly signals = new Subject<SessionSignal>();
  readonly signals$: Observable<SessionSignal> = this.signals.asObservable();
  private readonly subscriptions = new Subscription();
  private work: Subscription | undefined;
  private lossTimer: Subscription | undefined;
  private lastConfirmed: number;
  private suspended = false;
  private readonly backoff: Backoff;

  constructor(
    private readonly lease: SessionLease,
    private readonly scheduler: SchedulerLike,
    retryDelay: number,
    maxRetryDelay: number,
  ) {
    this.backoff = new Backoff(retryDelay, maxRetryDelay);
    this.lastConfirmed = scheduler.now();
  }

  start(): void {
    this.armLossTimer();
    this.schedule(refreshInterval(this.lease.ttl));
  }

  stop(): void {
    this.work?.unsubscribe();
    this.lossTimer?.unsubscribe();
    this.subscriptions.unsubscribe();
    this.signals.complete();
  }

  private schedule(delay: number): void {
    const next = new Subscription();
    this.work?.unsubscribe();
    this.work = next;
    next.add(timer(delay, this.scheduler).subscribe(() => this.beat()));
  }

  private beat(): void {
    const sentAt = this.scheduler.now();
    const request = new Subscription();
    this.work = request;
    request.add(
      call(() => this.lease.beat()).subscribe({
        next: (alive) => {
          if (!alive) return this.lost();
          this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
          this.backoff.reset();
          this.armLossTimer();
          if (this.suspended) {
            this.suspended = false;
            this.signals.next('reconnected');
          }
          this.schedule(refreshInterval(this.lease.ttl));
        },
        error: (error: unknown) => {
          if (!this.suspended) {
            this.suspended = true;
            this.signals.next('suspended');
          }
          if (!isRetryable(error)) return this.lost();
          this.schedule(this.backoff.next());
        },
      }),
    );
  }

  private armLossTimer(): void {
    const ttl = this.lease.ttl;
    const delay = Math.max(0, this.lastConfirmed + ttl - safetyMargin(ttl) - this.scheduler.now());
    this.lossTimer?.unsubscribe();
    this.lossTimer = timer(delay, this.scheduler).subscribe(() => this.lost());
  }

  /** Reports the loss, then renews until a new lease exists. */
  private lost(): void {
    this.work?.unsubscribe();
    this.lossTimer?.unsubscribe();
    this.signals.next('lost');
    this.suspended = true;
    this.renew();
  }

  private renew(): void {
    const sentAt = this.scheduler.now();
    const request = new Subscription();
    this.work = request;
    request.add(
      call(() => this.lease.renew()).subscribe({
        next: () => {
          this.lastConfirmed = sentAt;
          this.suspended = false;
          this.backoff.reset();
          this.signals.next('reconnected');
          this.armLossTimer();
          this.schedule(refreshInterval(this.lease.ttl));
        },
        error: () => this.scheduleRenew(this.backoff.next()),
      }),
    );
  }

  private scheduleRenew(delay: number): void {
    const next = new Subscription();
    this.work = next;
    next.add(timer(delay, this.scheduler).subscribe(() => this.renew()));
  }
}
