import type { EncodedCapabilities, GroupChange, LockChange, LossSignal } from '@tooz/core/driver';
import { Subject, type Subscription } from 'rxjs';

export interface LockRecord {
  readonly handleId: number;
  readonly sessionId: number;
  readonly memberId: string;
  readonly token: bigint;
  expiry: Subscription | undefined;
  /** Told to the holder when the key is deleted behind its back. */
  readonly loss: LossSignal;
}

export interface MemberRecord {
  readonly handleId: number;
  readonly sessionId: number;
  capabilities: EncodedCapabilities;
  expiry: Subscription | undefined;
  readonly loss: LossSignal;
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
