import { type NativeAddon, native } from '../native.js';

/** inotify's event bits (Linux ABI values). */
export const IN = {
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  ONLYDIR: 0x1000000,
  MASK_ADD: 0x20000000,
} as const;

/** The watch is gone or events were dropped: whoever listens must re-read. */
export const LOST_TRACK = IN.Q_OVERFLOW | IN.IGNORED;

export type WatchListener = (mask: number, name: string | null) => void;

interface Watch {
  readonly listeners: Set<WatchListener>;
  keepAlive: number;
  /** The kernel dropped it (IN_IGNORED). */
  dead: boolean;
}

/**
 * One inotify instance per process, shared by every session: watches on
 * the same file are merged (the kernel hands back the same descriptor), and
 * events are dispatched to the listeners of their descriptor. Watches that
 * someone waits on keep the process alive; the others do not.
 */
class Notifier {
  private addon: NativeAddon | undefined;
  private readonly watches = new Map<number, Watch>();
  private alive = 0;

  /**
   * Watches `path` for `mask` (added to whatever else watches the same
   * inode, so listeners filter by mask). Throws the errno (ENOENT...) when
   * the path cannot be watched. Returns the unwatch function.
   */
  watch(path: string, mask: number, keepAlive: boolean, listener: WatchListener): () => void {
    const addon = this.start();
    const wd = addon.watchAdd(path, mask | IN.MASK_ADD);
    let watch = this.watches.get(wd);
    if (!watch) {
      watch = { listeners: new Set(), keepAlive: 0, dead: false };
      this.watches.set(wd, watch);
    }
    // A wrapper per call, so one function may be registered twice.
    const entry: WatchListener = (m, n) => listener(m, n);
    watch.listeners.add(entry);
    if (keepAlive) this.retain(watch, 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (keepAlive && !watch.dead) this.retain(watch, -1);
      watch.listeners.delete(entry);
      if (watch.listeners.size === 0 && !watch.dead) {
        this.watches.delete(wd);
        addon.watchRemove(wd);
      }
    };
  }

  private start(): NativeAddon {
    if (this.addon) return this.addon;
    const addon = native();
    addon.watchStart((events) => this.dispatch(events));
    this.addon = addon;
    return addon;
  }

  private retain(watch: Watch, delta: 1 | -1): void {
    watch.keepAlive += delta;
    const before = this.alive;
    this.alive += delta;
    if (before === 0 && this.alive === 1) this.addon?.watchRef(true);
    else if (before === 1 && this.alive === 0) this.addon?.watchRef(false);
  }

  private dispatch(events: Array<number | string | null>): void {
    for (let i = 0; i + 2 < events.length; i += 3) {
      const wd = events[i] as number;
      const mask = events[i + 1] as number;
      const name = events[i + 2] as string | null;
      if (mask & IN.Q_OVERFLOW) {
        for (const watch of [...this.watches.values()]) this.notify(watch, mask, null);
        continue;
      }
      const watch = this.watches.get(wd);
      if (!watch) continue;
      if (mask & IN.IGNORED) {
        // The kernel dropped the watch (the file is gone): listeners re-arm if they care.
        this.watches.delete(wd);
        watch.dead = true;
        const before = this.alive;
        this.alive -= watch.keepAlive;
        if (before > 0 && this.alive === 0) this.addon?.watchRef(false);
      }
      this.notify(watch, mask, name);
    }
  }

  private notify(watch: Watch, mask: number, name: string | null): void {
    for (const listener of [...watch.listeners]) {
      try {
        listener(mask, name);
      } catch {
        // A listener's failure must not starve the others; each reports its own errors.
      }
    }
  }
}

export const notifier = new Notifier();
