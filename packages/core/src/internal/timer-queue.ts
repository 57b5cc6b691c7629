import type { SchedulerLike, Subscription } from 'rxjs';

export interface Timer {
  unsubscribe(): void;
}

/** A class rather than an object literal with a closure: one allocation per timer, on every hold's path. */
class Entry implements Timer {
  cancelled = false;

  constructor(
    readonly at: number,
    readonly seq: number,
    /** Dropped on cancel: a cancelled entry waits in the heap until compaction, and must not keep its owner alive. */
    public work: (() => void) | undefined,
    private readonly queue: TimerQueue,
  ) {}

  unsubscribe(): void {
    this.queue.cancel(this);
  }
}

/**
 * All the timers of one coordinator (refreshes, loss deadlines, waits) on a
 * min-heap, behind a single scheduler action for the earliest one. A
 * coordinator holding 10,000 locks then has one pending timer, not 10,000,
 * and arming or cancelling a timer costs no system call. Cancelled entries
 * are dropped lazily and compacted when they become the majority.
 */
export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private cancelled = 0;
  private action: Subscription | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly scheduler: SchedulerLike) {}

  after(delay: number, work: () => void): Timer {
    return this.at(this.scheduler.now() + Math.max(0, delay), work);
  }

  /** Runs `work` at scheduler time `time` (at once, on the next turn, if that has passed). */
  at(time: number, work: () => void): Timer {
    const entry = new Entry(time, this.seq++, work, this);
    this.push(entry);
    if (time < this.armedAt) this.arm();
    return entry;
  }

  /** Stops the underlying scheduler action (coordinator closed). */
  stop(): void {
    this.action?.unsubscribe();
    this.action = undefined;
    this.heap = [];
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  /** @internal Called by the entry itself. */
  cancel(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    entry.work = undefined;
    this.cancelled++;
    if (this.cancelled > 256 && this.cancelled * 2 > this.heap.length) this.compact();
  }

  private arm(): void {
    while (this.heap[0]?.cancelled) this.pop();
    const top = this.heap[0];
    this.action?.unsubscribe();
    this.action = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    if (!top) return;
    this.armedAt = top.at;
    this.action = this.scheduler.schedule(() => this.fire(), Math.max(0, top.at - this.scheduler.now()));
  }

  private fire(): void {
    this.action = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.scheduler.now();
    for (let top = this.heap[0]; top && top.at <= now; top = this.heap[0]) {
      this.pop();
      if (!top.cancelled) {
        const work = top.work;
        top.cancelled = true;
        top.work = undefined;
        work?.();
      }
    }
    this.arm();
  }

  private compact(): void {
    this.heap = this.heap.filter((entry) => !entry.cancelled);
    this.cancelled = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (!this.less(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const top = heap[0];
    if (!top) return;
    if (top.cancelled) this.cancelled--;
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      this.down(0);
    }
  }

  private down(start: number): void {
    const heap = this.heap;
    const entry = heap[start] as Entry;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.less(heap[right] as Entry, heap[left] as Entry) ? right : left;
      if (!this.less(heap[child] as Entry, entry)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = entry;
  }
}
