import type { SchedulerLike, Subscription } from 'rxjs';
import type { DriverSession, SessionSignal } from '../spi/driver.js';
import { exactBackoff } from './backoff.js';
import { call } from './call.js';
import type { ConnectionStateMachine } from './connection-state.js';

/**
 * Passes a driver's session signals to the connection, holding back a
 * `reconnected` that follows `suspended` until the driver's `verify()` says
 * whether what was held survived. A driver that cannot prove it reports
 * false and core makes it a loss (`lost`, then `reconnected` as a new
 * session), so no hold is reported as kept on a guess. A failed check
 * leaves the coordinator `suspended` and is asked again with backoff; any
 * later signal supersedes a check in flight.
 */
export class ReconnectGate {
  private check: Subscription | undefined;
  private readonly backoff;

  constructor(
    private readonly connection: ConnectionStateMachine,
    private readonly scheduler: SchedulerLike,
    private readonly verify: DriverSession['verify'],
    retryDelay: number,
    maxRetryDelay: number,
  ) {
    this.backoff = exactBackoff(retryDelay, maxRetryDelay);
  }

  signal(signal: SessionSignal): void {
    this.check?.unsubscribe();
    this.check = undefined;
    if (signal !== 'reconnected' || !this.verify || this.connection.state !== 'suspended') {
      this.connection.signal(signal);
      return;
    }
    this.ask();
  }

  stop(): void {
    this.check?.unsubscribe();
    this.check = undefined;
  }

  private ask(): void {
    const verify = this.verify;
    if (!verify) return;
    let settled = false;
    const request = call(() => verify()).subscribe({
      next: (kept) => {
        settled = true;
        this.check = undefined;
        this.backoff.reset();
        if (!kept) this.connection.signal('lost');
        this.connection.signal('reconnected');
      },
      error: () => {
        settled = true;
        this.check = this.scheduler.schedule(() => this.ask(), this.backoff.next());
      },
    });
    if (!settled) this.check = request;
  }
}
