import { BehaviorSubject } from 'rxjs';

/**
 * A BehaviorSubject that tells every subscriber every value in the order
 * the values were set, also when a value is set from inside a subscriber's
 * callback (RxJS's own delivers the new value at once, so the subscribers
 * after that one hear the new value first and the old one last, and keep
 * believing the old one).
 *
 * That re-entry is ordinary here: reading a lease or a leadership evaluates
 * its deadlines, so a subscriber that reads its term on `true` can find the
 * loss, which sets `false` while `true` is still being told. A value set
 * meanwhile waits until every subscriber has heard the one before it;
 * `value` is always the latest set, so reads are never stale.
 */
export class OrderedBehaviorSubject<T> extends BehaviorSubject<T> {
  private latest: T;
  /** Deliveries waiting for the one in progress; undefined while none is. */
  private waiting: Array<() => void> | undefined;

  constructor(initial: T) {
    super(initial);
    this.latest = initial;
  }

  override getValue(): T {
    // Throws as BehaviorSubject does after an error or once closed.
    super.getValue();
    return this.latest;
  }

  override next(value: T): void {
    this.latest = value;
    this.inOrder(() => super.next(value));
  }

  override error(error: unknown): void {
    this.inOrder(() => super.error(error));
  }

  override complete(): void {
    this.inOrder(() => super.complete());
  }

  private inOrder(deliver: () => void): void {
    if (this.waiting) {
      this.waiting.push(deliver);
      return;
    }
    const waiting: Array<() => void> = [];
    this.waiting = waiting;
    try {
      deliver();
      for (let next = waiting.shift(); next; next = waiting.shift()) next();
    } finally {
      this.waiting = undefined;
    }
  }
}
