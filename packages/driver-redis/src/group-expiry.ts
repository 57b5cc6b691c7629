import type { SchedulerLike, Subscription } from 'rxjs';
import { ReturnCode } from './codes.js';
import type { Commands } from './commands.js';
import type { KeyLayout } from './keys.js';
import type { Scripts } from './scripts.js';

interface Watched {
  refs: number;
  timer: Subscription | undefined;
  running: boolean;
  /** A check was asked for while one was running: run another when it ends. */
  again: boolean;
  /** The group's Python members as the last check saw them (see untimed_fingerprint in the scripts). */
  fingerprint: string | undefined;
  readonly listeners: Set<() => void>;
}

/**
 * Finds what no publication announces in the groups this session watches.
 *
 * Crashed members of this driver, without polling them: each group keeps
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
 * changes (a Python member joined, left or changed its capabilities), the
 * group's watchers are told to re-read it. A group that never had a Python
 * member is not checked periodically.
 */
export class GroupExpiry {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly commands: Commands,
    private readonly scripts: Scripts,
    private readonly keys: KeyLayout,
    private readonly scheduler: SchedulerLike,
    private readonly pythonInterval: number,
  ) {}

  /**
   * Keeps the group's checks while the returned function is not called;
   * `resync` is called when Python members changed (the watcher re-reads).
   */
  watch(groupId: string, resync: () => void): () => void {
    let entry = this.watched.get(groupId);
    const created = !entry;
    if (!entry) {
      entry = { refs: 0, timer: undefined, running: false, again: false, fingerprint: undefined, listeners: new Set() };
      this.watched.set(groupId, entry);
    }
    entry.refs++;
    // A distinct function per watch, so that two watches of one group are two listeners.
    const listener = () => resync();
    entry.listeners.add(listener);
    if (created) this.check(groupId);
    const watched = entry;
    return () => {
      watched.listeners.delete(listener);
      if (--watched.refs > 0 || this.watched.get(groupId) !== watched) return;
      watched.timer?.unsubscribe();
      this.watched.delete(groupId);
    };
  }

  /** A member joined: if no deadline is being waited for, there is one now. */
  joined(groupId: string): void {
    const entry = this.watched.get(groupId);
    if (entry && !entry.timer && !entry.running) this.check(groupId);
  }

  /** Someone saw the group's first Python member ("P"): check now, and from now on every interval. */
  pythonSeen(groupId: string): void {
    if (this.watched.has(groupId)) this.check(groupId);
  }

  /** After a reconnect: deadlines may have passed while away. */
  checkAll(): void {
    for (const groupId of this.watched.keys()) this.check(groupId);
  }

  stop(): void {
    for (const entry of this.watched.values()) entry.timer?.unsubscribe();
    this.watched.clear();
  }

  private check(groupId: string): void {
    const entry = this.watched.get(groupId);
    if (!entry) return;
    if (entry.running) {
      entry.again = true;
      return;
    }
    entry.timer?.unsubscribe();
    entry.timer = undefined;
    entry.running = true;
    entry.again = false;
    const { keys } = this;
    this.commands
      .script(
        this.scripts.expire,
        [keys.group(groupId), keys.deadlines(groupId), keys.owners(groupId), keys.python(groupId)],
        [keys.inboxPrefix, keys.beatsPrefix],
      )
      .then(
        ([code, delay, python, fingerprint]) => {
          entry.running = false;
          if (this.watched.get(groupId) !== entry || code !== ReturnCode.OK) return;
          const digest = String(fingerprint ?? '');
          const changed = entry.fingerprint !== undefined && entry.fingerprint !== digest;
          entry.fingerprint = digest;
          if (changed) for (const listener of [...entry.listeners]) listener();
          if (entry.again) return this.check(groupId);
          const ms = Number(delay);
          // +1: the deadline itself still counts as alive.
          let wait = ms >= 0 ? ms + 1 : Number.POSITIVE_INFINITY;
          if (Number(python) === 1) wait = Math.min(wait, this.pythonInterval);
          if (Number.isFinite(wait)) entry.timer = this.scheduler.schedule(() => this.fire(groupId, entry), wait);
        },
        () => {
          // The link is down; checkAll() runs when it is back.
          entry.running = false;
          entry.again = false;
        },
      );
  }

  private fire(groupId: string, entry: Watched): void {
    entry.timer = undefined;
    if (this.watched.get(groupId) === entry) this.check(groupId);
  }
}
