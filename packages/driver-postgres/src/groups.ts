import {
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  GroupAlreadyExistsError,
  type GroupId,
  GroupNotEmptyError,
  GroupNotFoundError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import type { Observable } from 'rxjs';
import { notConnected } from './errors.js';
import type { GroupName } from './keys.js';
import { deletedPayload, memberPayload } from './notices.js';
import type { PostgresSession } from './session.js';

/** A membership: its row (told apart from later joins by `joinId`) and its advisory lock. */
export interface PostgresMemberHandle extends MemberHandle {
  readonly group: GroupName;
  readonly joinId: string;
}

const bytes = (capabilities: EncodedCapabilities): Buffer =>
  Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);

/**
 * Groups as rows; a member is alive while its session holds the member's
 * advisory lock (taken by the join, in the same statement as the row is
 * written). Joins, updates, leaves and deletions NOTIFY the namespace's
 * channel; members whose session ended are found by the sweep.
 */
export class PostgresGroups implements GroupBackend<PostgresMemberHandle> {
  constructor(private readonly session: PostgresSession) {}

  async create(group: GroupId): Promise<void> {
    const { keys, sql } = this.session;
    const rows = await this.session.sessionConnection().query(sql.createGroup, [keys.group(group).groupId]);
    if (rows.length === 0) throw new GroupAlreadyExistsError(group);
  }

  async delete(group: GroupId): Promise<void> {
    const { keys, sql } = this.session;
    const { group64, groupId } = keys.group(group);
    const [row] = await this.session
      .sessionConnection()
      .query(sql.deleteGroup, [groupId, keys.channel, deletedPayload(group64)]);
    const outcome = Number(row?.outcome);
    if (outcome === 0) throw new GroupNotFoundError(group);
    if (outcome < 0) throw new GroupNotEmptyError(group);
  }

  async list(): Promise<GroupId[]> {
    const rows = await this.session.readConnection().query(this.session.sql.listGroups);
    return rows.map((row) => (row.group_id as Buffer).toString('utf8'));
  }

  async join(group: GroupId, capabilities: EncodedCapabilities): Promise<PostgresMemberHandle> {
    const { keys, sql, holds, context } = this.session;
    const name = keys.group(group);
    const generation = holds.generation;
    const [row] = await this.session
      .sessionConnection()
      .query(sql.joinGroup, [
        name.groupId,
        keys.memberBytes,
        bytes(capabilities),
        name.memberKey,
        keys.channel,
        memberPayload('J', name.group64, keys.member64, capabilities),
      ]);
    if (holds.generation !== generation) throw notConnected('session');
    const joinId = String(row?.join_id);
    if (joinId === '-1') throw new GroupNotFoundError(group);
    if (joinId === '0') throw new MemberAlreadyJoinedError(group, context.memberId);
    const handle: PostgresMemberHandle = { group: name, joinId };
    holds.add(handle, generation);
    return handle;
  }

  async leave(_group: GroupId, handle: PostgresMemberHandle): Promise<void> {
    const { keys, sql, holds } = this.session;
    // A membership of an ended session is cleaned up by the bury after reconnection.
    if (!holds.startRelease(handle)) return;
    const { groupId, memberKey, leftPayload } = handle.group;
    const connection = this.session.sessionConnection();
    try {
      await connection.query(sql.leaveGroup, [
        groupId,
        keys.memberBytes,
        handle.joinId,
        memberKey,
        keys.channel,
        leftPayload,
      ]);
    } catch (error) {
      // As for locks: an unlock that may not have run ends the session rather than outlive its owner.
      connection.destroy(error);
      throw error;
    } finally {
      holds.endRelease(handle);
    }
  }

  async update(group: GroupId, handle: PostgresMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const { keys, sql, holds, context } = this.session;
    if (!holds.owns(handle)) throw new MemberNotJoinedError(group, context.memberId);
    const { group64, groupId } = handle.group;
    const rows = await this.session
      .sessionConnection()
      .query(sql.updateMember, [
        groupId,
        keys.memberBytes,
        handle.joinId,
        bytes(capabilities),
        keys.channel,
        memberPayload('U', group64, keys.member64, capabilities),
      ]);
    if (rows.length === 0) throw new MemberNotJoinedError(group, context.memberId);
  }

  async members(group: GroupId): Promise<ReadonlyMap<string, EncodedCapabilities>> {
    const { keys, sql } = this.session;
    const rows = await this.session.readConnection().query(sql.members, [keys.group(group).groupId]);
    if (rows.length === 0) throw new GroupNotFoundError(group);
    const members = new Map<string, EncodedCapabilities>();
    for (const row of rows) {
      if (row.member_id === null) continue;
      members.set((row.member_id as Buffer).toString('utf8'), new Uint8Array(row.capabilities as Buffer));
    }
    return members;
  }

  watch(group: GroupId): Observable<GroupChange> {
    return this.session.topics.groupChanges(this.session.keys.group(group).topic);
  }
}
