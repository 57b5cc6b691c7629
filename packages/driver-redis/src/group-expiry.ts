import type { Subscription } from 'rxjs';
import { ReturnCode } from './codes.js';
import type { RedisSessionContext } from './session.js';

/**
 * Finds what no publication announces in one group this session watches.
 *
 * Crashed members of this driver, without polling them: the group keeps
 * one timer, at its earliest member deadline (the server says when that
 * is). When it fires, one script removes the members whose deadline has
 * passed (announcing `left` to every watcher) and names the next deadline.
 * Members refresh well before their deadline, so a watcher wakes about
 * once per TTL, however large the group.
 *
 * Python tooz's members, which publish nothing and have no deadline: once
 * a group has had one (its python marker, set by the first script of this
 * driver that sees one), the same script runs every `pythonInterval` too.
 * It removes the Python members whose beat key is gone (announced, as for
 * ours) and returns a digest of the Python members left; when the digest
 * changes (a Python member joined, left or changed its capabilities),
 * `resync` tells the watcher to re-read the group.
 *
 * Not a PeriodicTask: the next check is due at a time the server names
 * (the earliest deadline), not at a fixed period, and a check asked for
 * while one runs must run again after it (a join it could not see), not
 * be skipped.
 */
export class GroupExpiry {
  private timer: Subscription | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  /** The group's Python members as the last check saw them (see untimed_fingerprint in the scripts). */
  private fingerprint: string | undefined;

  constructor(
    private readonly session: RedisSessionContext,
    private readonly group: string,
    private readonly pythonInterval: number,
    private readonly resync: () => void,
  ) {}

  /** Checks now, or right after the check that is running. */
  check(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.running = true;
    this.again = false;
    const { commands, scripts, keys, scheduler } = this.session;
    const { group } = this;
    commands
      .script(
        scripts.expire,
        [keys.group(group), keys.deadlines(group), keys.owners(group), keys.python(group)],
        [keys.inboxPrefix, keys.beatsPrefix],
      )
      .then(
        ([code, delay, python, fingerprint]) => {
          this.running = false;
          if (this.stopped || code !== ReturnCode.OK) return;
          const digest = String(fingerprint ?? '');
          if (this.fingerprint !== undefined && this.fingerprint !== digest) this.resync();
          this.fingerprint = digest;
          if (this.again) return this.check();
          const ms = Number(delay);
          // +1: the deadline itself still counts as alive.
          let wait = ms >= 0 ? ms + 1 : Number.POSITIVE_INFINITY;
          if (Number(python) === 1) wait = Math.min(wait, this.pythonInterval);
          if (Number.isFinite(wait)) this.timer = scheduler.schedule(() => this.check(), wait);
        },
        () => {
          // The link is down; the watcher checks again when it is back.
          this.running = false;
          this.again = false;
        },
      );
  }

  /** A member joined: if no deadline is being waited for, there is one now. */
  joined(): void {
    if (!this.timer && !this.running) this.check();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
  }
}
