import { BehaviorSubject, type Observable } from 'rxjs';
import type { SessionSignal } from '../spi/driver.js';

/**
 * The coordinator's connection, as Curator names its states:
 * `connected` at start, `suspended` while the backend is unreachable (the
 * session may survive), `reconnected` when it is reachable again, `lost` when
 * the session and everything it held is gone, `closed` after `close()`.
 */
export type ConnectionState = 'connected' | 'suspended' | 'reconnected' | 'lost' | 'closed';

const NEXT: Readonly<Record<ConnectionState, Partial<Record<SessionSignal, ConnectionState>>>> = {
  connected: { suspended: 'suspended', lost: 'lost' },
  reconnected: { suspended: 'suspended', lost: 'lost' },
  suspended: { reconnected: 'reconnected', lost: 'lost' },
  lost: { reconnected: 'reconnected' },
  closed: {},
};

export class ConnectionStateMachine {
  private readonly subject = new BehaviorSubject<ConnectionState>('connected');
  readonly state$: Observable<ConnectionState> = this.subject.asObservable();

  get state(): ConnectionState {
    return this.subject.value;
  }

  /** Applies a driver signal; signals that make no sense in the current state are ignored. */
  signal(signal: SessionSignal): void {
    const next = NEXT[this.subject.value][signal];
    if (next) this.subject.next(next);
  }

  close(): void {
    if (this.subject.value === 'closed') return;
    this.subject.next('closed');
    this.subject.complete();
  }
}
