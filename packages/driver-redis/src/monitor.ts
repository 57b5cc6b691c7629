import type { SessionSignal } from '@tooz/core';
import { type SchedulerLike, Subject, type Subscription } from 'rxjs';
import type { Commands } from './commands.js';

export interface MonitorSettings {
  /** Time between health pings; a ping unanswered for this long means `suspended`. */
  readonly interval: number;
  /** Nothing heard for this long: the socket is given up and a new one opened (half-open links). */
  readonly socketTimeout: number;
}

/**
 * The session's connection health, as core's signals:
 * - `suspended` at once when the socket closes, or when a ping goes
 *   unanswered for a whole interval (a silent link: nothing closes);
 * - `reconnected` once the link answers again AND `recover()` has restored
 *   the subscriptions and checked every hold, so nothing the server lost
 *   is reported held again; `recovered$` then tells watchers to re-read.
 * It never reports `lost`: on a TTL backend each hold has its own deadline,
 * which core keeps, and the holds the server lost are failed by `recover()`.
 * Timers go through the coordinator's scheduler.
 */
export class ConnectionMonitor {
  readonly signals$ = new Subject<SessionSignal>();
  readonly recovered$ = new Subject<void>();
  private up = true;
  private closed = false;
  private recovering = false;
  /** Bumped on every socket close: answers from an older socket are ignored. */
  private epoch = 0;
  private pingSentAt: number | undefined;
  private lastHeard: number;
  private lastForced = Number.NEGATIVE_INFINITY;
  private timer: Subscription | undefined;

  constructor(
    private readonly commands: Commands,
    private readonly scheduler: SchedulerLike,
    private readonly settings: MonitorSettings,
    private readonly recover: () => Promise<void>,
  ) {
    this.lastHeard = scheduler.now();
  }

  start(): void {
    const { client } = this.commands;
    client.on('close', () => {
      this.epoch++;
      this.pingSentAt = undefined;
      this.down();
    });
    client.on('ready', () => {
      this.lastHeard = this.scheduler.now();
      this.tryRecover();
    });
    this.schedule();
  }

  stop(): void {
    this.closed = true;
    this.timer?.unsubscribe();
    this.signals$.complete();
    this.recovered$.complete();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.scheduler.schedule(() => this.tick(), this.settings.interval);
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt >= this.settings.interval) this.down();
    } else if (this.commands.client.status === 'ready') {
      this.ping(now);
    }
    // Only an open socket can be silent; a closed one is ioredis' to reopen.
    const open = this.commands.client.status === 'ready' || this.commands.client.status === 'connect';
    const silent = now - Math.max(this.lastHeard, this.lastForced) >= this.settings.socketTimeout;
    if (open && silent) {
      this.lastForced = now;
      this.commands.client.disconnect(true);
    }
    this.schedule();
  }

  private ping(now: number): void {
    const epoch = this.epoch;
    this.pingSentAt = now;
    this.commands.ping().then(
      () => {
        if (epoch !== this.epoch) return;
        this.pingSentAt = undefined;
        this.lastHeard = this.scheduler.now();
        this.tryRecover();
      },
      () => {
        if (epoch !== this.epoch) return;
        this.pingSentAt = undefined;
        this.down();
      },
    );
  }

  private down(): void {
    if (this.closed || !this.up) return;
    this.up = false;
    this.signals$.next('suspended');
  }

  private tryRecover(): void {
    if (this.up || this.closed || this.recovering) return;
    const epoch = this.epoch;
    this.recovering = true;
    this.recover().then(
      () => {
        this.recovering = false;
        if (this.closed || this.up) return;
        // The socket closed meanwhile: try again on the new one if it is up already.
        if (epoch !== this.epoch) {
          if (this.commands.client.status === 'ready') this.tryRecover();
          return;
        }
        this.up = true;
        this.signals$.next('reconnected');
        this.recovered$.next();
      },
      () => {
        // The link failed again; the next ping or `ready` tries again.
        this.recovering = false;
      },
    );
  }
}
