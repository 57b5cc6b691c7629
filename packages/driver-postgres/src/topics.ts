import type { GroupChange, LockChange } from '@tooz/core';
import { Observable, type Subscriber } from 'rxjs';
import { parseNotice } from './payload.js';

interface LockTopic {
  readonly subscribers: Set<Subscriber<LockChange>>;
  readonly lockKey: string;
  /**
   * `lockMode: 'tooz'`: the id of Python tooz's key for the lock (toozKeyId),
   * swept too: a Python holder (or another name sharing the key) sends no
   * notice when it lets go, so the sweep is what wakes its waiters.
   */
  readonly toozKey: string | undefined;
  /** What the last notice or sweep said; undefined until either spoke. */
  held: boolean | undefined;
}

interface GroupTopic {
  readonly subscribers: Set<Subscriber<GroupChange>>;
  readonly groupId: Buffer;
}

/**
 * Routes the namespace's notifications to the streams watching one lock or
 * one group, and tells the sweep what is watched. A session that ends
 * without a word (its process killed) sends no notice: the sweep finds its
 * holds gone and reports them here as if released.
 */
export class Topics {
  private readonly locks = new Map<string, LockTopic>();
  private readonly groups = new Map<string, GroupTopic>();
  /** Called when the first stream starts watching anything. */
  onWatch: (() => void) | undefined;

  /** Whether anything is watched (the sweep runs only then). */
  get watching(): boolean {
    return this.locks.size > 0 || this.groups.size > 0;
  }

  lockChanges(topic: string, lockKey: string, toozKey?: string): Observable<LockChange> {
    return new Observable<LockChange>((subscriber) => {
      let entry = this.locks.get(topic);
      if (!entry) {
        entry = { subscribers: new Set(), lockKey, toozKey, held: undefined };
        this.locks.set(topic, entry);
        this.onWatch?.();
      }
      const current = entry;
      current.subscribers.add(subscriber);
      return () => {
        current.subscribers.delete(subscriber);
        if (current.subscribers.size === 0 && this.locks.get(topic) === current) this.locks.delete(topic);
      };
    });
  }

  groupChanges(topic: string, groupId: Buffer): Observable<GroupChange> {
    return new Observable<GroupChange>((subscriber) => {
      let entry = this.groups.get(topic);
      if (!entry) {
        entry = { subscribers: new Set(), groupId };
        this.groups.set(topic, entry);
        this.onWatch?.();
      }
      const current = entry;
      current.subscribers.add(subscriber);
      return () => {
        current.subscribers.delete(subscriber);
        if (current.subscribers.size === 0 && this.groups.get(topic) === current) this.groups.delete(topic);
      };
    });
  }

  /** One NOTIFY payload from the namespace's channel. */
  dispatch(payload: string): void {
    const notice = parseNotice(payload);
    if (!notice) return;
    switch (notice.type) {
      case 'released':
      case 'acquired': {
        const topic = this.locks.get(notice.topic);
        if (!topic) return;
        topic.held = notice.type === 'acquired';
        const change: LockChange =
          notice.type === 'acquired' ? { type: 'acquired', holder: notice.holder } : { type: 'released' };
        for (const subscriber of [...topic.subscribers]) subscriber.next(change);
        return;
      }
      default: {
        const topic = this.groups.get(notice.topic);
        if (!topic) return;
        let change: GroupChange;
        if (notice.type === 'deleted') change = { type: 'deleted' };
        else if (notice.type === 'left') change = { type: 'left', memberId: notice.memberId };
        // Capabilities too large for a payload: core re-reads the group.
        else if (notice.capabilities === undefined) change = { type: 'resync' };
        else change = { type: notice.type, memberId: notice.memberId, capabilities: notice.capabilities };
        for (const subscriber of [...topic.subscribers]) subscriber.next(change);
      }
    }
  }

  /**
   * An attempt on the lock was just refused: someone holds it now. The next
   * sweep that finds it free then says `released`, even if the holder let go
   * without a notice before any sweep saw it held (a Python tooz holder in
   * `lockMode: 'tooz'` never sends one, and may hold for less than a sweep).
   */
  refused(topic: string): void {
    const entry = this.locks.get(topic);
    if (entry) entry.held = true;
  }

  /** Notifications may have been missed (the events connection was re-made): everyone re-reads. */
  resync(): void {
    for (const topic of [...this.locks.values()]) {
      topic.held = undefined;
      for (const subscriber of [...topic.subscribers]) subscriber.next({ type: 'resync' });
    }
    for (const topic of [...this.groups.values()]) {
      for (const subscriber of [...topic.subscribers]) subscriber.next({ type: 'resync' });
    }
  }

  /** What the sweep should look at: watched groups and watched advisory keys (tooz keys as `p<n>`). */
  sweepInput(): { groups: Buffer[]; keys: string[] } {
    const keys = new Set<string>();
    for (const topic of this.locks.values()) {
      keys.add(topic.lockKey);
      if (topic.toozKey !== undefined) keys.add(topic.toozKey);
    }
    return { groups: [...this.groups.values()].map((topic) => topic.groupId), keys: [...keys] };
  }

  /** Keys no session holds now: those believed held were let go without a notice. */
  sweepResult(free: readonly string[]): void {
    const freeKeys = new Set(free);
    for (const topic of [...this.locks.values()]) {
      if (!freeKeys.has(topic.lockKey) || (topic.toozKey !== undefined && !freeKeys.has(topic.toozKey))) {
        topic.held = true;
        continue;
      }
      if (topic.held === false) continue;
      topic.held = false;
      for (const subscriber of [...topic.subscribers]) subscriber.next({ type: 'released' });
    }
  }
}
