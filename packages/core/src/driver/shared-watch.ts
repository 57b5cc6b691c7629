import { finalize, type Observable, share } from 'rxjs';

/**
 * One backend watch per key, however many subscribers: the first subscriber
 * of a key opens it, the last one to leave closes it, and a later subscriber
 * opens a fresh one. Drivers use it for every per-key stream they serve
 * (lock changes, group changes), so that ten waiters on one lock cost one
 * watch.
 */
export class SharedWatches<K, T> {
  private readonly open = new Map<K, Observable<T>>();

  constructor(private readonly start: (key: K) => Observable<T>) {}

  /** The shared watch of `key`: opened on its first subscriber, closed after its last leaves. */
  get(key: K): Observable<T> {
    let shared = this.open.get(key);
    if (!shared) {
      const stream: Observable<T> = this.start(key).pipe(
        finalize(() => {
          if (this.open.get(key) === stream) this.open.delete(key);
        }),
        share({ resetOnError: true, resetOnComplete: true, resetOnRefCountZero: true }),
      );
      shared = stream;
      this.open.set(key, shared);
    }
    return shared;
  }

  /** Keys with at least one subscriber (or a watch being opened). */
  keys(): IterableIterator<K> {
    return this.open.keys();
  }

  /** Keys with a watch open (or being opened). */
  get size(): number {
    return this.open.size;
  }
}
