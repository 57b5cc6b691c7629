import {
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core';
import type { Observable } from 'rxjs';
import { notConnected } from './errors.js';
import type { PgMemberHandle } from './holds.js';
import { advisoryKey, NameCache } from './keys.js';
import { b64, deletedPayload, groupTopic, leftPayload, memberPayload } from './payload.js';
import type { PostgresSession } from './session.js';

/** Everything derived from one group id, computed once. */
interface GroupName {
  readonly group64: string;
  readonly groupId: Buffer;
  /** This member's advisory lock in the group. */
  readonly memberKey: string;
  readonly leftPayload: string;
  readonly topic: string;
}

const bytes = (capabilities: EncodedCapabilities): Buffer =>
  Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);

/**
 * Groups as rows; a member is alive while its session holds the member's
 * advisory lock (taken by the join, in the same statement as the row is
 * written). Joins, updates, leaves and deletions NOTIFY the namespace's
 * channel; members whose session ended are found by the sweep.
 */
export function groupBackend(session: PostgresSession): GroupBackend {
  const { context, holds, sql, channel, topics } = session;
  const names = new NameCache<GroupName>();
  const describe = (group: string): GroupName =>
    names.get(group, () => {
      const group64 = b64(group);
      return {
        group64,
        groupId: Buffer.from(group64, 'base64'),
        memberKey: advisoryKey(context.namespace, 'member', group, context.memberId).toString(),
        leftPayload: leftPayload(group64, session.member64),
        topic: groupTopic(group64),
      };
    });

  return {
    async create(group) {
      const rows = await session.sessionConnection().query(sql.createGroup, [describe(group).groupId]);
      if (rows.length === 0) throw new GroupAlreadyExistsError(group);
    },

    async delete(group) {
      const { group64, groupId } = describe(group);
      const [row] = await session
        .sessionConnection()
        .query(sql.deleteGroup, [groupId, channel, deletedPayload(group64)]);
      const outcome = Number(row?.outcome);
      if (outcome === 0) throw new GroupNotFoundError(group);
      if (outcome < 0) throw new GroupNotEmptyError(group);
    },

    async list() {
      const rows = await session.readConnection().query(sql.listGroups);
      return rows.map((row) => (row.group_id as Buffer).toString('utf8'));
    },

    async join(group, capabilities): Promise<MemberHandle> {
      const { group64, groupId, memberKey: lockKey } = describe(group);
      const connection = session.sessionConnection();
      const generation = holds.generation;
      const [row] = await connection.query(sql.joinGroup, [
        groupId,
        session.memberBytes,
        bytes(capabilities),
        lockKey,
        channel,
        memberPayload('J', group64, session.member64, capabilities),
      ]);
      if (holds.generation !== generation) throw notConnected('session');
      const joinId = String(row?.join_id);
      if (joinId === '-1') throw new GroupNotFoundError(group);
      if (joinId === '0') throw new MemberAlreadyJoinedError(group, context.memberId);
      const handle: PgMemberHandle = { generation, groupId, joinId, lockKey };
      holds.addMember(handle);
      return handle;
    },

    async leave(group, handle) {
      const membership = handle as PgMemberHandle;
      // A membership of an ended session is cleaned up by the bury after reconnection.
      if (!holds.removeMember(membership)) return;
      const connection = session.sessionConnection();
      try {
        await connection.query(sql.leaveGroup, [
          membership.groupId,
          session.memberBytes,
          membership.joinId,
          membership.lockKey,
          channel,
          describe(group).leftPayload,
        ]);
      } catch (error) {
        // As for locks: an unlock that may not have run ends the session rather than outlive its owner.
        connection.destroy(error);
        throw error;
      }
    },

    async update(group, handle, capabilities) {
      const membership = handle as PgMemberHandle;
      if (membership.generation !== holds.generation) throw new MemberNotJoinedError(group, context.memberId);
      const { group64, groupId } = describe(group);
      const rows = await session
        .sessionConnection()
        .query(sql.updateMember, [
          groupId,
          session.memberBytes,
          membership.joinId,
          bytes(capabilities),
          channel,
          memberPayload('U', group64, session.member64, capabilities),
        ]);
      if (rows.length === 0) throw new MemberNotJoinedError(group, context.memberId);
    },

    async members(group) {
      const rows = await session.readConnection().query(sql.members, [describe(group).groupId]);
      if (rows.length === 0) throw new GroupNotFoundError(group);
      const members = new Map<string, EncodedCapabilities>();
      for (const row of rows) {
        if (row.member_id === null) continue;
        members.set((row.member_id as Buffer).toString('utf8'), new Uint8Array(row.capabilities as Buffer));
      }
      return members;
    },

    watch(group): Observable<GroupChange> {
      const { topic, groupId } = describe(group);
      return topics.groupChanges(topic, groupId);
    },
  };
}
