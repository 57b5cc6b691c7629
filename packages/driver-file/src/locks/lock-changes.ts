import { openSync } from 'node:fs';
import type { LockChange } from '@tooz/core/driver';
import { Observable, Subscription } from 'rxjs';
import { toToozError } from '../errors.js';
import { closeQuietly, OPEN_RO } from '../files.js';
import { IN, LOST_TRACK, notifier } from '../inotify/notifier.js';
import { recheckAfterClose } from '../inotify/recheck.js';
import type { SessionEnv } from '../session.js';
import { lookUpHolder } from './holder-record.js';
import type { LockFiles } from './lock-files.js';

/**
 * A release writes into the lock file after unlocking, when someone is
 * registered (a shared lock on byte 0 of the fence file); a death (or any
 * close of a writable descriptor) closes it.
 */
const LOCK_EVENTS = IN.MODIFY | IN.CLOSE_WRITE | IN.ATTRIB | IN.DELETE_SELF | IN.MOVE_SELF;
/** A new holder writes its record into the fence file. */
const FENCE_EVENTS = IN.MODIFY;

/**
 * A lock key's changes, pushed by inotify: `released` when the lock file's
 * byte 0 is found free after a release or a close, `acquired` with the
 * holder when a new holder record is written, `resync` when the watch had
 * to be re-armed. Every event is checked against the lock itself, so stray
 * events (a descriptor closed after a failed try) wake nobody. Core looks
 * once more after subscribing, so a change just before it is not missed.
 */
export function lockChanges(env: SessionEnv, files: LockFiles): Observable<LockChange> {
  return new Observable<LockChange>((subscriber) => {
    files.users++;
    let recheck: Subscription | undefined;
    const lookups = new Subscription();
    let unwatch: (() => void) | undefined;

    const isFree = (): boolean => {
      const fd = files.take();
      try {
        return env.addon.probe(fd, 0, 1) === 0;
      } finally {
        files.give(fd);
      }
    };

    const guarded = (handler: (mask: number) => void) => (mask: number) => {
      try {
        handler(mask);
      } catch (error) {
        subscriber.error(toToozError(error));
      }
    };

    const onLock = guarded((mask) => {
      if (mask & (LOST_TRACK | IN.ATTRIB | IN.DELETE_SELF | IN.MOVE_SELF)) {
        // The file went away or events were dropped: watch whatever is at the path now, and let everyone look.
        files.reset();
        arm();
        subscriber.next({ type: 'resync' });
        return;
      }
      if (isFree()) {
        recheck?.unsubscribe();
        subscriber.next({ type: 'released' });
      } else if (mask & IN.CLOSE_WRITE) {
        recheck?.unsubscribe();
        recheck = recheckAfterClose(env.scheduler, env.settings.crashDetection, () => {
          if (!isFree()) return false;
          subscriber.next({ type: 'released' });
          return true;
        });
      }
    });

    const onFence = () => {
      // The record may still be being written: the lookup waits for it.
      lookups.add(
        lookUpHolder(env, files).subscribe({
          next: (state) => {
            if (state.kind === 'held') subscriber.next({ type: 'acquired', holder: state.holder.memberId });
          },
          error: (error: unknown) => subscriber.error(error),
        }),
      );
    };

    const arm = () => {
      unwatch?.();
      // Both files must exist to be watched; opening them creates them.
      files.give(files.take());
      files.fence();
      const stopLock = notifier.watch(files.paths.lock, LOCK_EVENTS, true, onLock);
      const stopFence = notifier.watch(files.paths.fence, FENCE_EVENTS, true, onFence);
      // Registered after the watches are armed: a release that sees us will wake us.
      const registration = openSync(files.paths.fence, OPEN_RO);
      env.addon.tryLock(registration, 1, 0, 1);
      unwatch = () => {
        closeQuietly(registration);
        stopLock();
        stopFence();
      };
    };

    try {
      arm();
    } catch (error) {
      files.users--;
      subscriber.error(toToozError(error));
      return;
    }
    return () => {
      unwatch?.();
      recheck?.unsubscribe();
      lookups.unsubscribe();
      files.users--;
    };
  });
}
