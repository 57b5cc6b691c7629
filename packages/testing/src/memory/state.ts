import { Subject, type Subscription } from 'rxjs';
import type { EncodedCapabilities, GroupChange, LockChange } from '@tooz/core';

export interface LockRecord {
  readonly handleId: number;
  readonly sessionId: number;
  readonly memberId: string;
  readonly token: bigint;
  expiry: Subscription | undefined;
  /** Pushed to the holder when the key is deleted behind its back. */
  /** Replays: the SPI asks that a loss reaching the client before core subscribes is still delivered. */
  readonly lost: Subject<void>;
}

export interface MemberRecord {
  readonly handleId: number;
  readonly sessionId: number;
  capabilities: EncodedCapabilities;
  expiry: Subscription | undefined;
  /** Replays: the SPI asks that a loss reaching the client before core subscribes is still delivered. */
  readonly lost: Subject<void>;
}

/** Everything the memory server stores, keyed as a backend would. */
export class MemoryState {
  readonly locks = new Map<string, LockRecord>();
  readonly counters = new Map<string, bigint>();
  readonly groups = new Map<string, Map<string, MemberRecord>>();
  private readonly lockTopics = new Map<string, Subject<LockChange>>();
  private readonly groupTopics = new Map<string, Subject<GroupChange>>();

  lockTopic(key: string): Subject<LockChange> {
    let topic = this.lockTopics.get(key);
    if (!topic) {
      topic = new Subject();
      this.lockTopics.set(key, topic);
    }
    return topic;
  }

  groupTopic(group: string): Subject<GroupChange> {
    let topic = this.groupTopics.get(group);
    if (!topic) {
      topic = new Subject();
      this.groupTopics.set(group, topic);
    }
    return topic;
  }

  nextToken(key: string): bigint {
    const token = (this.counters.get(key) ?? 0n) + 1n;
    this.counters.set(key, token);
    return token;
  }
}
