import type { LockBackend, LockChange, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import { defer, map, Observable } from 'rxjs';
import { closeQuietly, stillAt } from './files.js';
import { lookUpHolder } from './holder-lookup.js';
import { type KeyFiles, KeyFilesCache } from './key-files.js';
import { lockChanges } from './lock-changes.js';
import type { SessionEnv } from './session-env.js';
import { syncCall } from './sync-call.js';

export class FileLockHandle implements LockHandle {
  released = false;
  /** Its descriptor was closed under it (a simulated crash): the kernel already let the lock go. */
  dead = false;

  /** The files' generation when the hold began: its descriptor is not pooled after a reset. */
  readonly generation: number;

  constructor(
    readonly token: bigint,
    readonly fd: number,
    readonly files: KeyFiles,
    readonly lost$: Observable<unknown>,
  ) {
    this.generation = files.generation;
  }
}

/**
 * Locks and leader seats on OFD locks: byte 0 of the lock file is the lock,
 * the counter and holder record live in the fence file beside it. A hold is
 * a descriptor; the kernel drops it when the process dies.
 */
export class FileLocks implements LockBackend {
  readonly files: KeyFilesCache;
  private readonly held = new Set<FileLockHandle>();

  constructor(private readonly env: SessionEnv) {
    // Lock files deleted under us: the idle descriptors refer to a file nobody else will open again.
    this.files = new KeyFilesCache(env.layout, env.addon, (files) => {
      const stopLock = env.removals.on(files.paths.lock, () => files.reset());
      const stopFence = env.removals.on(files.paths.fence, () => files.reset());
      return () => {
        stopLock();
        stopFence();
      };
    });
  }

  tryAcquire(key: LockKey): Observable<TryAcquireResult> {
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
      const handle = new FileLockHandle(token, fd, files, this.lostWhenRemoved(files, fd));
      this.held.add(handle);
      return { acquired: true, handle };
    });
  }

  release(_key: LockKey, handle: LockHandle): Observable<boolean> {
    return syncCall(() => {
      if (!(handle instanceof FileLockHandle) || handle.released) return false;
      handle.released = true;
      this.held.delete(handle);
      handle.files.users--;
      if (handle.dead) return false;
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
    return lockChanges(this.env, this.files, key);
  }

  /** As if the process had died: every descriptor closed, so the kernel drops every lock. */
  dropAll(): void {
    for (const handle of this.held) {
      handle.dead = true;
      handle.files.users--;
      handle.released = true;
      closeQuietly(handle.fd);
    }
    this.held.clear();
    for (const files of this.files.values()) files.reset();
  }

  close(): void {
    this.dropAll();
    this.files.clear();
  }

  /** The hold is gone if its lock file is deleted or replaced: a new file would let someone else in. */
  private lostWhenRemoved(files: KeyFiles, fd: number): Observable<unknown> {
    return new Observable<unknown>((subscriber) =>
      this.env.removals.on(files.paths.lock, () => {
        if (!stillAt(fd, files.paths.lock)) subscriber.next(undefined);
      }),
    );
  }
}
