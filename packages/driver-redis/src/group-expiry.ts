import type { SchedulerLike, Subscription } from 'rxjs';
import { ReturnCode } from './codes.js';
import type { Commands } from './commands.js';
import type { KeyLayout } from './keys.js';
import type { Scripts } from './scripts.js';

interface Watched {
  refs: number;
  timer: Subscription | undefined;
  running: boolean;
}

/**
 * Finds crashed members of the groups this session watches, without
 * polling them: each group keeps one timer, at its earliest member deadline
 * (the server says when that is). When it fires, one script removes the
 * members whose deadline has passed (announcing `left` to every watcher)
 * and names the next deadline. Members refresh well before their deadline,
 * so a watcher wakes about once per TTL, however large the group.
 */
export class GroupExpiry {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly commands: Commands,
    private readonly scripts: Scripts,
    private readonly keys: KeyLayout,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Keeps the group's timer while the returned function is not called. */
  watch(groupId: string): () => void {
    let entry = this.watched.get(groupId);
    if (!entry) {
      entry = { refs: 0, timer: undefined, running: false };
      this.watched.set(groupId, entry);
      this.check(groupId);
    }
    entry.refs++;
    const watched = entry;
    return () => {
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
    if (!entry || entry.running) return;
    entry.timer?.unsubscribe();
    entry.timer = undefined;
    entry.running = true;
    this.commands
      .script(
        this.scripts.expire,
        [this.keys.group(groupId), this.keys.deadlines(groupId), this.keys.owners(groupId)],
        [this.keys.inboxPrefix],
      )
      .then(
        ([code, delay]) => {
          entry.running = false;
          if (this.watched.get(groupId) !== entry || code !== ReturnCode.OK) return;
          const ms = Number(delay);
          // +1: the deadline itself still counts as alive.
          if (ms >= 0) entry.timer = this.scheduler.schedule(() => this.fire(groupId, entry), ms + 1);
        },
        () => {
          // The link is down; checkAll() runs when it is back.
          entry.running = false;
        },
      );
  }

  private fire(groupId: string, entry: Watched): void {
    entry.timer = undefined;
    if (this.watched.get(groupId) === entry) this.check(groupId);
  }
}
