import type { SchedulerLike } from 'rxjs';
import type { KeyRange } from './keys.js';
import { SharedWatch } from './shared-watch.js';
import type { WatchStream } from './watch-stream.js';

/** The session's shared watches, one per prefix. */
export class WatchHub {
  private readonly watches = new Map<string, SharedWatch>();
  private closed = false;

  constructor(
    private readonly stream: WatchStream,
    private readonly scheduler: SchedulerLike,
    private readonly lingerMs: number,
  ) {}

  watch(range: KeyRange): SharedWatch {
    const id = range.start.toString('base64');
    let watch = this.watches.get(id);
    if (!watch) {
      if (this.closed) throw new Error('the etcd session is closed');
      const created = new SharedWatch(this.stream, range, this.scheduler, this.lingerMs, () => {
        if (this.watches.get(id) === created) this.watches.delete(id);
      });
      watch = created;
      this.watches.set(id, watch);
    }
    return watch;
  }

  /** The watch on this prefix if one is open or lingering. */
  existing(range: KeyRange): SharedWatch | undefined {
    return this.watches.get(range.start.toString('base64'));
  }

  close(): void {
    this.closed = true;
    for (const watch of [...this.watches.values()]) watch.close();
  }
}
