import type { Observable, ObservableInput } from 'rxjs';
import { type CallObserver, subscribeCall } from './call.js';

/** Failures are swallowed (see PendingWork); the end is what counts. */
const IGNORE: CallObserver<unknown> = { next: () => undefined, error: () => undefined };

/**
 * Backend calls that must finish before the coordinator closes (releases,
 * leaves). Their failures are swallowed: the hold then ends by TTL or
 * session expiry, which is the backend's own guarantee. A counter, not a
 * set of promises: this is on every lock's hot path.
 */
export class PendingWork {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** `onDone` runs synchronously when the work ends, so virtual-time tests see hand-offs at once. */
  track(work: Observable<unknown>, onDone?: () => void): void {
    const finish = this.finisher(onDone);
    work.subscribe({ error: finish, complete: finish });
  }

  /** `track(call(invoke), onDone)` with one subscription fewer (releases are on every lock's path). */
  trackCall(invoke: () => ObservableInput<unknown>, onDone?: () => void): void {
    subscribeCall(invoke, IGNORE, this.finisher(onDone));
  }

  /** Counts one piece of work; the result ends it once, running `onDone` first. */
  private finisher(onDone: (() => void) | undefined): () => void {
    const end = this.begin();
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      // Before the count drops: whatever onDone starts is tracked before drain() can resolve.
      onDone?.();
      end();
    };
  }

  /** Counts work that is not an Observable here (a request in flight); call the result once it ends. */
  begin(): () => void {
    this.count++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.count--;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    };
  }

  drain(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
