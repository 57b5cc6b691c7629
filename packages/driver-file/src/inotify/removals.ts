import { dirname, join } from 'node:path';
import { IN, LOST_TRACK, notifier } from './notifier.js';

/**
 * Tells whoever asks when a file is deleted or renamed away, through one
 * watch per directory (not per file: a per-file watch would cost system
 * calls and an event on every acquire). Callbacks check for themselves
 * whether what they hold is really gone.
 */
export class Removals {
  private readonly callbacks = new Map<string, Set<() => void>>();
  private readonly directories = new Map<string, () => void>();

  on(path: string, callback: () => void): () => void {
    const directory = dirname(path);
    if (!this.directories.has(directory)) {
      const unwatch = notifier.watch(directory, IN.DELETE | IN.MOVED_FROM | IN.ONLYDIR, false, (mask, name) => {
        if (name !== null && mask & (IN.DELETE | IN.MOVED_FROM)) this.fire(join(directory, name));
        else if (mask & LOST_TRACK) {
          if (mask & IN.IGNORED) this.directories.delete(directory);
          this.fireAll(directory);
        }
      });
      this.directories.set(directory, unwatch);
    }
    let set = this.callbacks.get(path);
    if (!set) {
      set = new Set();
      this.callbacks.set(path, set);
    }
    const entry = () => callback();
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.callbacks.get(path) === set) this.callbacks.delete(path);
    };
  }

  close(): void {
    for (const unwatch of this.directories.values()) unwatch();
    this.directories.clear();
    this.callbacks.clear();
  }

  private fire(path: string): void {
    for (const callback of [...(this.callbacks.get(path) ?? [])]) callback();
  }

  private fireAll(directory: string): void {
    for (const path of [...this.callbacks.keys()]) if (dirname(path) === directory) this.fire(path);
  }
}
