/**
 * Serialises holders of one key inside one coordinator. Backends differ on
 * re-entrancy (PostgreSQL advisory locks are re-entrant per session, Redis
 * SET NX is not); queueing locally first gives every driver the same
 * non-re-entrant semantics and saves the backend a round trip per local waiter.
 */
export class LocalMutex {
  private readonly queues = new Map<string, Array<() => void>>();

  /**
   * Calls `granted` (maybe synchronously) when the slot is ours. The returned
   * function gives the slot up, or leaves the queue if not yet granted; it
   * is idempotent.
   */
  enter(key: string, granted: () => void): () => void {
    let state: 'queued' | 'granted' | 'left' = 'queued';
    const grant = () => {
      if (state !== 'queued') return;
      state = 'granted';
      granted();
    };
    const queue = this.queues.get(key);
    if (queue) queue.push(grant);
    else {
      this.queues.set(key, []);
      grant();
    }
    return () => {
      const was = state;
      state = 'left';
      const waiting = this.queues.get(key);
      if (!waiting || was === 'left') return;
      if (was === 'queued') {
        const index = waiting.indexOf(grant);
        if (index !== -1) waiting.splice(index, 1);
        return;
      }
      const next = waiting.shift();
      if (next) next();
      else this.queues.delete(key);
    };
  }
}
