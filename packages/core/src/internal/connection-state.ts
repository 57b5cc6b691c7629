import type { Observable } from 'rxjs';
import type { SessionSignal } from '../spi/driver.js';
import { OrderedBehaviorSubject } from './ordered-subject.js';

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

export type ConnectionListener = (state: ConnectionState) => void;

export class ConnectionStateMachine {
  private readonly subject = new OrderedBehaviorSubject<ConnectionState>('connected');
  readonly state$: Observable<ConnectionState> = this.subject.asObservable();
  /** Plain callbacks for the state machines: cheaper than a subscription per held lock. */
  private readonly listeners = new Set<ConnectionListener>();
  private lossCount = 0;

  get state(): ConnectionState {
    return this.subject.value;
  }

  /**
   * How many times the session has been lost. An answer that was sent before
   * a loss and arrives after it comes from (or across) a dead session: what it
   * grants must not be handed out, since the loss has been told already.
   */
  get losses(): number {
    return this.lossCount;
  }

  /** Calls `listener` on every later change; returns the function that stops it. */
  listen(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a driver signal; signals that make no sense in the current state are ignored. */
  signal(signal: SessionSignal): void {
    const next = NEXT[this.subject.value][signal];
    if (!next) return;
    if (next === 'lost') this.lossCount++;
    this.subject.next(next);
    for (const listener of [...this.listeners]) listener(next);
  }

  close(): void {
    if (this.subject.value === 'closed') return;
    this.subject.next('closed');
    this.subject.complete();
    this.listeners.clear();
  }
}
