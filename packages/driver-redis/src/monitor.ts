import { deadlinePromise, PeriodicTask, type SessionSignal } from '@tooz/core/driver';
import { type SchedulerLike, Subject } from 'rxjs';
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
 * - `reconnected` once the link answers again AND `restore()` has renewed
 *   the subscriptions of the new socket; core then asks the session to
 *   verify its holds before anyone is told, and `recovered$` tells
 *   watchers to re-read.
 * It never reports `lost`: on a TTL backend each hold has its own deadline,
 * which core keeps.
 */
export class ConnectionMonitor {
  readonly signals$ = new Subject<SessionSignal>();
  readonly recovered$ = new Subject<void>();
  private up = true;
  private closed = false;
  private restoring = false;
  /** Bumped on every socket close: a restore done on an older socket does not count. */
  private epoch = 0;
  private lastHeard: number;
  private lastForced = Number.NEGATIVE_INFINITY;
  private readonly pings: PeriodicTask;

  constructor(
    private readonly commands: Commands,
    private readonly scheduler: SchedulerLike,
    private readonly settings: MonitorSettings,
    private readonly restore: () => Promise<unknown>,
  ) {
    this.lastHeard = scheduler.now();
    this.pings = new PeriodicTask(scheduler, settings.interval, () => this.check());
  }

  start(): void {
    const { client } = this.commands;
    client.on('close', () => {
      this.epoch++;
      this.down();
    });
    client.on('ready', () => this.heard());
    this.pings.start();
  }

  stop(): void {
    this.closed = true;
    this.pings.stop();
    this.signals$.complete();
    this.recovered$.complete();
  }

  private async check(): Promise<void> {
    const { client } = this.commands;
    if (client.status === 'ready') {
      // An answer that comes after the deadline still counts as heard: the link is back.
      const ping = this.commands.ping().then(() => this.heard());
      const unanswered = () => new Error('PING unanswered');
      await deadlinePromise(ping, this.settings.interval, this.scheduler, unanswered).catch(() => this.down());
    }
    // Only an open socket can be silent; a closed one is ioredis' to reopen.
    const now = this.scheduler.now();
    const open = client.status === 'ready' || client.status === 'connect';
    if (open && now - Math.max(this.lastHeard, this.lastForced) >= this.settings.socketTimeout) {
      this.lastForced = now;
      client.disconnect(true);
    }
  }

  private heard(): void {
    this.lastHeard = this.scheduler.now();
    if (this.up || this.closed || this.restoring) return;
    const epoch = this.epoch;
    this.restoring = true;
    this.restore().then(
      () => {
        this.restoring = false;
        if (this.closed || this.up) return;
        // The socket closed meanwhile: restore again on the new one if it is up already.
        if (epoch !== this.epoch) return this.commands.client.status === 'ready' ? this.heard() : undefined;
        this.up = true;
        this.signals$.next('reconnected');
        this.recovered$.next();
      },
      () => {
        // The link failed again; the next ping or `ready` tries again.
        this.restoring = false;
      },
    );
  }

  private down(): void {
    if (this.closed || !this.up) return;
    this.up = false;
    this.signals$.next('suspended');
  }
}
