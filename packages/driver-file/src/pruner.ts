import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { prune } from './member-files.js';
import type { SessionEnv } from './session-env.js';

/**
 * A dead member's files stay this long before they are deleted, so that
 * every watcher can still read whom it was and what it advertised (inotify
 * events carry only a file name), even for a member that joined and left
 * before the watcher looked.
 */
const PRUNE_GRACE = 2_000;

/** Deletes dead members' files after the grace period: whoever notices a death does this. */
export class Pruner {
  private readonly due = new Map<string, { readonly run: () => void; readonly timer: Subscription }>();

  constructor(private readonly env: SessionEnv) {}

  schedule(dir: string, hash: string): void {
    const id = join(dir, hash);
    if (this.due.has(id)) return;
    const run = () => {
      this.due.delete(id);
      try {
        prune(this.env.addon, dir, hash);
      } catch {
        // Best effort: someone else will, and the member counts as dead either way.
      }
    };
    this.due.set(id, { run, timer: this.env.scheduler.schedule(run, PRUNE_GRACE) });
  }

  /** At close: no timers left behind, what was due is done now. */
  flush(): void {
    for (const { run, timer } of [...this.due.values()]) {
      timer.unsubscribe();
      run();
    }
  }
}
