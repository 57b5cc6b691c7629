import {
  HoldRegistry,
  type LockBackend,
  type LockChange,
  type LockHandle,
  type LockHolder,
  type LockKey,
  LossSignal,
  SharedWatches,
  type TryAcquireResult,
} from '@tooz/core/driver';
import { defer, map, type Observable } from 'rxjs';
import { closeQuietly, stillAt } from './files.js';
import type { Removals } from './inotify/removals.js';
import { lookUpHolder } from './locks/holder-record.js';
import { lockChanges } from './locks/lock-changes.js';
import { type LockFiles, LockFilesCache } from './locks/lock-files.js';
import type { SessionEnv } from './session.js';
import { syncCall } from './sync-call.js';

/** One hold: a descriptor of the lock file with the OFD lock on its byte 0. */
export class FileLockHandle implements LockHandle {
  private readonly loss = new LossSignal();
  readonly lost$ = this.loss.lost$;
  /** The files' generation when the hold began: its descriptor is not pooled after a reset. */
  readonly generation: number;
  readonly stopWatching: () => void;

  constructor(
    readonly token: bigint,
    readonly fd: number,
    readonly files: LockFiles,
    removals: Removals,
  ) {
    this.generation = files.generation;
    // A lock file deleted or replaced lets someone else in with a new file: the hold is gone.
    this.stopWatching = removals.on(files.paths.lock, () => {
      if (!stillAt(fd, files.paths.lock)) this.loss.stolen();
    });
  }
}

/**
 * Locks and leader seats on OFD locks: byte 0 of the lock file is the lock,
 * the counter and holder record live in the fence file beside it. A hold is
 * a descriptor; the kernel drops it when the process dies.
 */
export class FileLocks implements LockBackend<FileLockHandle> {
  readonly files: LockFilesCache;
  private readonly holds = new HoldRegistry<FileLockHandle>();
  private readonly watches: SharedWatches<LockFiles, LockChange>;

  constructor(private readonly env: SessionEnv) {
    this.files = new LockFilesCache(env.keys, env.addon, env.removals);
    this.watches = new SharedWatches((files) => lockChanges(env, files));
  }

  tryAcquire(key: LockKey): Observable<TryAcquireResult<FileLockHandle>> {
    return syncCall(() => {
      const files = this.files.get(key);
      const fd = files.take();
      let token: bigint | null;
      try {
        // Leader seats keep byte 1 while their record is written: leader$ must name the right holder.
        token = this.env.addon.acquire(fd, files.fence(), this.env.memberIdBytes, key.kind === 'leader');
      } catch (error) {
        files.give(fd);
        throw error;
      }
      if (token === null) {
        files.give(fd);
        // Notifications wake the waiter; this is only the safety net.
        return { acquired: false, retryAfter: this.env.settings.safetyRetry };
      }
      files.users++;
      const handle = new FileLockHandle(token, fd, files, this.env.removals);
      this.holds.add(handle);
      return { acquired: true, handle };
    });
  }

  release(_key: LockKey, handle: FileLockHandle): Observable<boolean> {
    return syncCall(() => {
      if (!this.holds.take(handle)) return false;
      this.forget(handle);
      this.env.addon.release(handle.fd, handle.files.fence());
      handle.files.give(handle.fd, handle.generation);
      return true;
    });
  }

  holder(key: LockKey): Observable<LockHolder | null> {
    return defer(() => lookUpHolder(this.env, this.files.get(key))).pipe(
      map((state) => (state.kind === 'held' ? state.holder : null)),
    );
  }

  changes(key: LockKey): Observable<LockChange> {
    return defer(() => this.watches.get(this.files.get(key)));
  }

  /** As if the process had died: every descriptor closed, so the kernel drops every lock. */
  dropAll(): void {
    for (const handle of this.holds.bury()) {
      this.forget(handle);
      closeQuietly(handle.fd);
    }
    for (const files of this.files.values()) files.reset();
  }

  close(): void {
    this.dropAll();
    this.files.clear();
  }

  private forget(handle: FileLockHandle): void {
    handle.files.users--;
    handle.stopWatching();
  }
}
