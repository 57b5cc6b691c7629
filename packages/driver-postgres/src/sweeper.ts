import { interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { Topics } from './topics.js';

/**
 * A session that ends without a word (its process killed, its connection
 * cut) sends no NOTIFY. While anything is watched, the sweep looks every
 * `every` ms for watched members whose session is gone (deleting them, which
 * tells every watcher they left) and for watched locks no session holds any
 * more. One statement per sweep for everything this coordinator watches,
 * never a connection per member.
 */
export class Sweeper {
  private ticker: Subscription | undefined;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly every: number,
    private readonly topics: Topics,
    private readonly run: (groups: Buffer[], keys: string[]) => Promise<string[]>,
  ) {
    topics.onWatch = () => this.start();
  }

  stop(): void {
    this.stopped = true;
    this.ticker?.unsubscribe();
    this.ticker = undefined;
  }

  private start(): void {
    if (this.ticker || this.stopped) return;
    this.ticker = interval(this.every, this.scheduler).subscribe(() => this.tick());
  }

  private tick(): void {
    if (!this.topics.watching) {
      this.ticker?.unsubscribe();
      this.ticker = undefined;
      return;
    }
    if (this.inFlight) return;
    const { groups, keys } = this.topics.sweepInput();
    this.inFlight = true;
    this.run(groups, keys).then(
      (free) => {
        this.inFlight = false;
        this.topics.sweepResult(free);
      },
      () => {
        // The next tick tries again; a dead connection is being re-made meanwhile.
        this.inFlight = false;
      },
    );
  }
}
