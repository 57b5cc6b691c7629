import { openSync } from 'node:fs';
import type { LockKey } from '@tooz/core/driver';
import { closeQuietly, FILE_MODE, OPEN_RW } from '../files.js';
import type { FileKeys, LockPaths } from '../keys.js';
import type { Removals } from '../inotify/removals.js';
import type { NativeAddon } from '../native.js';

/** Idle descriptors kept per key: enough for a holder and a waiter of one session. */
const IDLE_PER_KEY = 2;
/** Keys whose descriptors stay open; the least recently used idle ones are closed beyond this. */
const CACHED_KEYS = 256;

/**
 * The open descriptors of one lock key in one session. Each descriptor of
 * the lock file is a distinct owner (OFD locks belong to the open, not to
 * the process), so each tryAcquire takes one of its own. Idle ones are kept
 * rather than closed: a close wakes every watcher of the file, and costs
 * two system calls on the hot path. (Its generation counts the files'
 * incarnations, not sessions: holds are in the session's HoldRegistry.)
 */
export class LockFiles {
  private readonly idle: number[] = [];
  private fenceFd: number | undefined;
  /** Holds and watches using this entry; it is not evicted while any. */
  users = 0;
  /** Stops following the files' removal; called when the entry is dropped. */
  readonly detach: () => void;
  /** When it was last used, for eviction. */
  used = 0;
  /** Bumped by each reset: a descriptor taken before one may refer to a file that is gone. */
  generation = 0;

  constructor(
    readonly paths: LockPaths,
    private readonly addon: NativeAddon,
    removals: Removals,
  ) {
    // Deleted or replaced under us: the idle descriptors refer to a file nobody else will open again.
    const stops = [paths.lock, paths.fence].map((path) => removals.on(path, () => this.reset()));
    this.detach = () => {
      for (const stop of stops) stop();
    };
  }

  /** A descriptor of the lock file that holds no lock; creates the file if needed. */
  take(): number {
    return this.idle.pop() ?? openSync(this.paths.lock, OPEN_RW, FILE_MODE);
  }

  /** Gives back a descriptor that holds no lock, taken in `generation` (by default: just now). */
  give(fd: number, generation = this.generation): void {
    if (generation === this.generation && this.idle.length < IDLE_PER_KEY) this.idle.push(fd);
    else closeQuietly(fd);
  }

  fence(): number {
    if (this.fenceFd === undefined) {
      this.fenceFd = openSync(this.paths.fence, OPEN_RW, FILE_MODE);
      // The counter is then read and bumped without a system call.
      this.addon.mapFence(this.fenceFd);
    }
    return this.fenceFd;
  }

  /** Forgets every idle descriptor (the files were removed or replaced, or the session ends). */
  reset(): void {
    this.generation++;
    for (const fd of this.idle.splice(0)) closeQuietly(fd);
    if (this.fenceFd !== undefined) {
      this.addon.unmapFence(this.fenceFd);
      closeQuietly(this.fenceFd);
    }
    this.fenceFd = undefined;
  }
}

/** LockFiles by key; beyond the bound, the least recently used idle ones are closed. */
export class LockFilesCache {
  /** By name, one map per kind: no key string to build on the hot path. */
  private readonly locks = new Map<string, LockFiles>();
  private readonly leaders = new Map<string, LockFiles>();
  private clock = 0;

  constructor(
    private readonly keys: FileKeys,
    private readonly addon: NativeAddon,
    private readonly removals: Removals,
  ) {}

  get(key: LockKey): LockFiles {
    const entries = key.kind === 'lock' ? this.locks : this.leaders;
    const known = entries.get(key.name);
    if (known) {
      known.used = ++this.clock;
      return known;
    }
    if (entries.size >= CACHED_KEYS) this.evict(entries);
    const files = new LockFiles(this.keys.lock(key), this.addon, this.removals);
    files.used = ++this.clock;
    entries.set(key.name, files);
    return files;
  }

  /** Every entry, for resets. */
  *values(): IterableIterator<LockFiles> {
    yield* this.locks.values();
    yield* this.leaders.values();
  }

  clear(): void {
    for (const files of this.values()) this.drop(files);
    this.locks.clear();
    this.leaders.clear();
  }

  private drop(files: LockFiles): void {
    files.detach();
    files.reset();
  }

  /** Drops the older half of the idle entries: eviction runs once per CACHED_KEYS / 2 new keys at most. */
  private evict(entries: Map<string, LockFiles>): void {
    const idle = [...entries].filter(([, files]) => files.users === 0).sort((a, b) => a[1].used - b[1].used);
    for (const [name, files] of idle.slice(0, Math.ceil(idle.length / 2))) {
      this.drop(files);
      entries.delete(name);
    }
  }
}
