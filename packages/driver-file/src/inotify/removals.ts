import { basename, dirname } from 'node:path';
import { SharedWatches } from '@tooz/core/driver';
import { filter, Observable } from 'rxjs';
import { IN, LOST_TRACK, notifier } from './notifier.js';

const REMOVED = IN.DELETE | IN.MOVED_FROM;

/**
 * Tells whoever asks when a file may have been deleted or renamed away,
 * through one watch per directory (a per-file watch would cost system calls
 * and an event on every acquire). Callbacks check for themselves whether
 * what they hold is really gone, so a watch that cannot be armed, or that
 * lost track, calls them all.
 */
export class Removals {
  /** Names removed from each directory; null when events may have been missed. */
  private readonly directories = new SharedWatches<string, string | null>(
    (directory) =>
      new Observable((subscriber) =>
        notifier.watch(directory, REMOVED | IN.ONLYDIR, false, (mask, name) => {
          if (name !== null && mask & REMOVED) subscriber.next(name);
          else if (mask & LOST_TRACK) subscriber.next(null);
          if (mask & IN.IGNORED) subscriber.complete();
        }),
      ),
  );

  /** Returns how to stop. */
  on(path: string, callback: () => void): () => void {
    const name = basename(path);
    const subscription = this.directories
      .get(dirname(path))
      .pipe(filter((removed) => removed === null || removed === name))
      .subscribe({ next: callback, error: callback });
    return () => subscription.unsubscribe();
  }
}
