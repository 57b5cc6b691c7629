import {
  ConnectionError,
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  InvalidArgumentError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import { EMPTY, type Observable } from 'rxjs';
import { syscall } from './errors.js';
import { GroupCode } from './native.js';
import type { SessionEnv } from './session.js';

/** The table's fixed sizes (native/groups.c): groups and memberships per namespace, bytes of encoded capabilities. */
export const GROUP_LIMITS = { groups: 1024, memberships: 1024, capabilityBytes: 4096 } as const;

/** One membership: the member slot this process holds with SEM_UNDO, and the serial of the join. */
export interface IpcMemberHandle extends MemberHandle {
  readonly slot: number;
  readonly serial: number;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/**
 * Groups on the namespace's member semaphores and group table
 * (native/groups.c). A member is alive while its process holds its slot,
 * and the kernel frees the slot when that process dies, so a crashed member
 * is gone at the next read; nothing expires by time. Nothing notifies
 * watchers either: `watch()` is empty and core re-reads `members()` every
 * poll interval (the descriptor says `poll`).
 */
export class IpcGroups implements GroupBackend<IpcMemberHandle> {
  /** Memberships still held, left at close if core did not (it normally has). */
  private readonly joined = new Map<IpcMemberHandle, string>();

  constructor(private readonly env: SessionEnv) {}

  create(group: string): Observable<void> {
    return syscall(() => this.check(this.env.addon.groupCreate(this.env.keys.groups, utf8(group)), group));
  }

  delete(group: string): Observable<void> {
    return syscall(() => this.check(this.env.addon.groupDelete(this.env.keys.groups, utf8(group)), group));
  }

  list(): Observable<readonly string[]> {
    return syscall(() => this.env.addon.groupList(this.env.keys.groups).map((name) => name.toString('utf8')));
  }

  join(group: string, capabilities: EncodedCapabilities): Observable<IpcMemberHandle> {
    return syscall(() => {
      const { addon, keys, memberIdBytes } = this.env;
      const [code, slot, serial] = addon.groupJoin(keys.groups, utf8(group), memberIdBytes, fitting(capabilities));
      this.check(code, group);
      const handle = { slot, serial };
      this.joined.set(handle, group);
      return handle;
    });
  }

  leave(group: string, handle: IpcMemberHandle): Observable<void> {
    return syscall(() => {
      const code = this.env.addon.groupLeave(this.env.keys.groups, utf8(group), handle.slot, handle.serial);
      this.joined.delete(handle);
      this.check(code, group);
    });
  }

  update(group: string, handle: IpcMemberHandle, capabilities: EncodedCapabilities): Observable<void> {
    return syscall(() => {
      const { addon, keys } = this.env;
      this.check(addon.groupUpdate(keys.groups, utf8(group), handle.slot, handle.serial, fitting(capabilities)), group);
    });
  }

  members(group: string): Observable<ReadonlyMap<string, EncodedCapabilities>> {
    return syscall(() => {
      const found = this.env.addon.groupMembers(this.env.keys.groups, utf8(group));
      if (typeof found === 'number') {
        this.check(found, group);
        return new Map();
      }
      return new Map(found.map(([id, capabilities]) => [id.toString('utf8'), capabilities]));
    });
  }

  watch(): Observable<GroupChange> {
    return EMPTY;
  }

  /** Leaves what core left held; a failure here changes nothing, the slot is freed when this process exits. */
  close(): void {
    for (const [handle, group] of this.joined) {
      try {
        this.env.addon.groupLeave(this.env.keys.groups, utf8(group), handle.slot, handle.serial);
      } catch {}
    }
    this.joined.clear();
  }

  private check(code: GroupCode, group: string): void {
    const memberId = this.env.memberId;
    switch (code) {
      case GroupCode.Ok:
        return;
      case GroupCode.Exists:
        throw new GroupAlreadyExistsError(group);
      case GroupCode.NotFound:
        throw new GroupNotFoundError(group);
      case GroupCode.NotEmpty:
        throw new GroupNotEmptyError(group);
      case GroupCode.AlreadyJoined:
        throw new MemberAlreadyJoinedError(group, memberId);
      case GroupCode.NotJoined:
        throw new MemberNotJoinedError(group, memberId);
      case GroupCode.Full:
        throw new ConnectionError(
          `the namespace's group table is full (${GROUP_LIMITS.groups} groups, ${GROUP_LIMITS.memberships} memberships): delete groups or leave, or use another namespace`,
          { retryable: true },
        );
    }
  }
}

/** Capabilities as a member record holds them: refused whole, before anything is written, when too large. */
function fitting(capabilities: EncodedCapabilities): Buffer {
  if (capabilities.byteLength > GROUP_LIMITS.capabilityBytes) {
    throw new InvalidArgumentError(
      'capabilities',
      `are ${capabilities.byteLength} bytes encoded; the ipc driver stores at most ${GROUP_LIMITS.capabilityBytes}`,
    );
  }
  return Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);
}
