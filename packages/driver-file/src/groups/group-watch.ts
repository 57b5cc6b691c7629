import type { GroupChange } from '@tooz/core/driver';
import { Observable, type Subscription } from 'rxjs';
import { isMissing, toToozError } from '../errors.js';
import type { FileGroups } from '../groups.js';
import { IN, LOST_TRACK, notifier } from '../inotify/notifier.js';
import { recheckAfterClose } from '../inotify/recheck.js';
import { parseMemberFile } from '../keys.js';
import type { SessionEnv } from '../session.js';
import { isAlive } from './member-files.js';

/**
 * Member files are renamed into place (ours) or written and closed (Python
 * tooz's); they are deleted on leave and on pruning. A member's lock file is
 * closed by its process on leave and by the kernel when the process dies.
 */
const GROUP_EVENTS =
  IN.MOVED_TO | IN.MOVED_FROM | IN.CLOSE_WRITE | IN.DELETE | IN.DELETE_SELF | IN.MOVE_SELF | IN.ONLYDIR;

/**
 * One group's changes, pushed by inotify on its directory. Each event makes
 * the watcher look at the member's files as they are now and report that
 * state in full (joined with capabilities, or left), so events that arrive
 * late or twice are harmless: core de-duplicates.
 */
export function groupWatch(env: SessionEnv, groups: FileGroups, group: string): Observable<GroupChange> {
  return new Observable<GroupChange>((subscriber) => {
    const dir = env.keys.group(group);
    const rechecks = new Map<string, Subscription>();

    /**
     * Reports a member's current state; returns whether it is alive. `wrote`:
     * the event was the member writing its file, so a member found dead
     * already had joined (or updated) before it left, and is reported so.
     */
    const report = (hash: string, wrote = false): boolean => {
      const state = groups.memberState(dir, hash);
      if (state.kind === 'alive' || (state.kind === 'dead' && wrote)) {
        const { memberId, capabilities } = state.record;
        subscriber.next({ type: 'joined', memberId, capabilities });
        if (state.kind === 'alive') return true;
      }
      const memberId = state.kind === 'gone' ? groups.nameOf(hash) : state.record.memberId;
      // A member we never saw has left: nothing to name, so let core re-read.
      subscriber.next(memberId === undefined ? { type: 'resync' } : { type: 'left', memberId });
      return false;
    };

    const onEvent = (mask: number, name: string | null): void => {
      if (mask & (IN.DELETE_SELF | IN.MOVE_SELF)) {
        subscriber.next({ type: 'deleted' });
        return;
      }
      if (mask & LOST_TRACK) {
        subscriber.next({ type: 'resync' });
        return;
      }
      const member = name === null ? undefined : parseMemberFile(name);
      if (!member) return;
      if (member.kind === 'raw') {
        report(member.hash, (mask & (IN.MOVED_TO | IN.CLOSE_WRITE)) !== 0);
        return;
      }
      // A descriptor of a member's lock file was closed: its process may have died.
      if (!(mask & IN.CLOSE_WRITE) || !report(member.hash)) return;
      rechecks.get(member.hash)?.unsubscribe();
      rechecks.set(
        member.hash,
        recheckAfterClose(env.scheduler, env.settings.crashDetection, () => {
          if (isAlive(env.addon, dir, member.hash)) return false;
          report(member.hash);
          return true;
        }),
      );
    };

    let unwatch: (() => void) | undefined;
    try {
      unwatch = notifier.watch(dir, GROUP_EVENTS, true, (mask, name) => {
        try {
          onEvent(mask, name);
        } catch (error) {
          subscriber.error(toToozError(error));
        }
      });
    } catch (error) {
      // No such group: nothing to watch; reading its members says GroupNotFoundError.
      if (!isMissing(error)) subscriber.error(toToozError(error));
    }
    return () => {
      unwatch?.();
      for (const recheck of rechecks.values()) recheck.unsubscribe();
    };
  });
}
