import type { Observable } from 'rxjs';

/**
 * Backend calls that must finish before the coordinator closes (releases,
 * leaves). Their failures are swallowed: the hold then ends by TTL or
 * session expiry, which is the backend's own guarantee.
 */
export class PendingWork {
  private readonly inFlight = new Set<Promise<void>>();

  /** `onDone` runs synchronously when the work ends, so virtual-time tests see hand-offs at once. */
  track(work: Observable<unknown>, onDone?: () => void): Promise<void> {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.inFlight.add(done);
    const finish = () => {
      this.inFlight.delete(done);
      onDone?.();
      settle();
    };
    work.subscribe({ error: finish, complete: finish });
    return done;
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
