import { Observable } from 'rxjs';

/**
 * Serialises holders of one key inside one coordinator. Backends differ on
 * re-entrancy (PostgreSQL advisory locks are re-entrant per session, Redis
 * SET NX is not); queueing locally first gives every driver the same
 * non-re-entrant semantics and saves the backend a round trip per local waiter.
 */
export class LocalMutex {
  private readonly queues = new Map<string, Array<() => void>>();

  /** Emits once when the slot is ours. Unsubscribing gives it up, or leaves the queue. */
  enter(key: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      let granted = false;
      const grant = () => {
        granted = true;
        subscriber.next();
      };
      const queue = this.queues.get(key);
      if (queue) queue.push(grant);
      else {
        this.queues.set(key, []);
        grant();
      }
      return () => {
        const waiting = this.queues.get(key);
        if (!waiting) return;
        if (!granted) {
          const index = waiting.indexOf(grant);
          if (index !== -1) waiting.splice(index, 1);
          return;
        }
        const next = waiting.shift();
        if (next) next();
        else this.queues.delete(key);
      };
    });
  }
}
