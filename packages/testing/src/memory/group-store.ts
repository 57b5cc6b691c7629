import {
  type EncodedCapabilities,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  LossSignal,
  MemberAlreadyJoinedError,
  type MemberHandle,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import { type SchedulerLike, timer } from 'rxjs';
import type { MemberRecord, MemoryState } from './state.js';

export interface MemoryMemberHandle extends MemberHandle {
  readonly handleId: number;
}

/** Group operations of the memory server, each atomic. */
export class GroupStore {
  constructor(
    private readonly state: MemoryState,
    private readonly scheduler: SchedulerLike,
    private readonly nextHandleId: () => number,
  ) {}

  create(group: string): void {
    if (this.state.groups.has(group)) throw new GroupAlreadyExistsError(group);
    this.state.groups.set(group, new Map());
  }

  delete(group: string): void {
    const members = this.existing(group);
    if (members.size > 0) throw new GroupNotEmptyError(group);
    this.state.groups.delete(group);
    this.state.groupTopic(group).next({ type: 'deleted' });
  }

  list(): string[] {
    return [...this.state.groups.keys()];
  }

  join(
    group: string,
    memberId: string,
    capabilities: EncodedCapabilities,
    ttl: number,
    sessionId: number,
  ): MemoryMemberHandle {
    const members = this.existing(group);
    if (members.has(memberId)) throw new MemberAlreadyJoinedError(group, memberId);
    const record: MemberRecord = {
      handleId: this.nextHandleId(),
      sessionId,
      capabilities,
      expiry: undefined,
      loss: new LossSignal(),
    };
    members.set(memberId, record);
    this.arm(group, memberId, record, ttl);
    this.state.groupTopic(group).next({ type: 'joined', memberId, capabilities });
    return { handleId: record.handleId, lost$: record.loss.lost$ };
  }

  leave(group: string, memberId: string, handle: MemoryMemberHandle): void {
    const record = this.existing(group).get(memberId);
    if (!record || record.handleId !== handle.handleId) throw new MemberNotJoinedError(group, memberId);
    this.drop(group, memberId, record);
  }

  refresh(group: string, memberId: string, handle: MemoryMemberHandle, ttl: number): boolean {
    const record = this.state.groups.get(group)?.get(memberId);
    if (!record || record.handleId !== handle.handleId) return false;
    this.arm(group, memberId, record, ttl);
    return true;
  }

  update(group: string, memberId: string, handle: MemoryMemberHandle, capabilities: EncodedCapabilities): void {
    const record = this.existing(group).get(memberId);
    if (!record || record.handleId !== handle.handleId) throw new MemberNotJoinedError(group, memberId);
    record.capabilities = capabilities;
    this.state.groupTopic(group).next({ type: 'updated', memberId, capabilities });
  }

  members(group: string): Map<string, EncodedCapabilities> {
    return new Map([...this.existing(group)].map(([id, record]) => [id, record.capabilities]));
  }

  /** Removes a member behind its back; it is told, as a watch on its own key would. */
  kick(group: string, memberId: string): boolean {
    const record = this.state.groups.get(group)?.get(memberId);
    if (!record) return false;
    this.drop(group, memberId, record);
    record.loss.stolen();
    return true;
  }

  dropSession(sessionId: number): void {
    for (const [group, members] of this.state.groups) {
      for (const [memberId, record] of [...members])
        if (record.sessionId === sessionId) this.drop(group, memberId, record);
    }
  }

  private existing(group: string): Map<string, MemberRecord> {
    const members = this.state.groups.get(group);
    if (!members) throw new GroupNotFoundError(group);
    return members;
  }

  private arm(group: string, memberId: string, record: MemberRecord, ttl: number): void {
    record.expiry?.unsubscribe();
    record.expiry = timer(ttl, this.scheduler).subscribe(() => {
      if (this.state.groups.get(group)?.get(memberId) === record) this.drop(group, memberId, record);
    });
  }

  private drop(group: string, memberId: string, record: MemberRecord): void {
    record.expiry?.unsubscribe();
    this.state.groups.get(group)?.delete(memberId);
    this.state.groupTopic(group).next({ type: 'left', memberId });
  }
}
