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
} from '@tooz/core/driver';
import { EMPTY, type Observable } from 'rxjs';
import type { MysqlConnection } from './connection.js';
import { isConnectionFailure, notConnected, toToozError } from './errors.js';
import type { MysqlSession } from './session.js';
import {
  CREATE_GROUP,
  DELETE_GROUP,
  DELETE_MEMBERS,
  GROUP_EXISTS,
  JOIN,
  LEAVE,
  LIST_GROUPS,
  MEMBERS,
  RELEASE,
  RELEASE_IF_MINE,
  UPDATE_MEMBER,
} from './sql.js';

/** A membership: its row (told apart from later joins by `joinId`) and the GET_LOCK that keeps it alive. */
export interface MysqlMemberHandle extends MemberHandle {
  readonly groupHash: Buffer;
  readonly joinId: string;
  readonly memberLock: string;
}

const bytes = (capabilities: EncodedCapabilities): Buffer =>
  Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);

/**
 * Groups as rows; a member is alive while the session recorded in its row
 * holds the member's GET_LOCK (taken by the join, in the same statement
 * that writes the row). Reads show live members only, so a member whose
 * session ended is reported left at core's next poll of `members()`.
 */
export class MysqlGroups implements GroupBackend<MysqlMemberHandle> {
  private readonly memberHash: Buffer;

  constructor(private readonly session: MysqlSession) {
    this.memberHash = session.keys.memberHash(session.context.memberId);
  }

  async create(group: string): Promise<void> {
    const { keys } = this.session;
    try {
      await this.session
        .connection()
        .write(CREATE_GROUP, [keys.namespace, keys.groupHash(group), Buffer.from(group, 'utf8')]);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ER_DUP_ENTRY') throw new GroupAlreadyExistsError(group);
      throw toToozError(error, 'creating a group');
    }
  }

  async delete(group: string): Promise<void> {
    const { namespace } = this.session.keys;
    const groupHash = this.session.keys.groupHash(group);
    const connection = this.session.connection();
    const header = await this.run(() => connection.write(DELETE_GROUP, [namespace, groupHash, namespace, groupHash]));
    if (header.affectedRows === 0) {
      const [present] = await this.run(() => connection.rows(GROUP_EXISTS, [namespace, groupHash]));
      throw present ? new GroupNotEmptyError(group) : new GroupNotFoundError(group);
    }
    await this.run(() => connection.write(DELETE_MEMBERS, [namespace, groupHash]));
  }

  async list(): Promise<readonly string[]> {
    const rows = await this.session.read((connection) => connection.rows(LIST_GROUPS, [this.session.keys.namespace]));
    return rows.map((row) => (row.group_id as Buffer).toString('utf8'));
  }

  async join(group: string, capabilities: EncodedCapabilities): Promise<MysqlMemberHandle> {
    const { keys, holds, memberBytes, context } = this.session;
    const groupHash = keys.groupHash(group);
    const memberLock = keys.memberLock(group, context.memberId);
    const caps = bytes(capabilities);
    const connection = this.session.connection();
    const generation = holds.generation;
    let header: Awaited<ReturnType<MysqlConnection['write']>>;
    try {
      header = await connection.write(JOIN, [
        this.memberHash,
        memberBytes,
        caps,
        memberLock,
        keys.namespace,
        groupHash,
        memberLock,
        memberLock,
        memberBytes,
        caps,
        memberLock,
      ]);
    } catch (error) {
      if (!isConnectionFailure(error) && connection.alive && holds.generation === generation) {
        connection.rows(RELEASE_IF_MINE, [memberLock, memberLock]).catch((e: unknown) => connection.destroy(e));
      }
      throw toToozError(error, 'joining a group');
    }
    if (holds.generation !== generation) throw notConnected();
    if (header.affectedRows === 0) {
      const [present] = await this.run(() => connection.rows(GROUP_EXISTS, [keys.namespace, groupHash]));
      throw present ? new MemberAlreadyJoinedError(group, context.memberId) : new GroupNotFoundError(group);
    }
    const handle: MysqlMemberHandle = { groupHash, joinId: String(header.insertId), memberLock };
    holds.add(handle, generation);
    return handle;
  }

  async leave(_group: string, handle: MysqlMemberHandle): Promise<void> {
    // A membership of an ended session ended with it.
    if (!this.session.holds.take(handle)) return;
    const connection = this.session.connection();
    try {
      await connection.write(LEAVE, this.mine(handle));
      await connection.rows(RELEASE, [handle.memberLock]);
    } catch (error) {
      // As for locks: a release that may not have run ends the session rather than outlive its owner.
      connection.destroy(error);
      throw toToozError(error, 'leaving a group');
    }
  }

  async update(group: string, handle: MysqlMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    if (!this.session.holds.owns(handle)) throw new MemberNotJoinedError(group, this.session.context.memberId);
    const header = await this.run(() =>
      this.session.connection().write(UPDATE_MEMBER, [bytes(capabilities), ...this.mine(handle)]),
    );
    // FOUND_ROWS is on: a matched row counts even when the capabilities did not change.
    if (header.affectedRows === 0) throw new MemberNotJoinedError(group, this.session.context.memberId);
  }

  async members(group: string): Promise<ReadonlyMap<string, EncodedCapabilities>> {
    const { keys } = this.session;
    const rows = await this.session.read((connection) =>
      connection.rows(MEMBERS, [keys.namespace, keys.groupHash(group)]),
    );
    if (rows.length === 0) throw new GroupNotFoundError(group);
    const members = new Map<string, EncodedCapabilities>();
    for (const row of rows) {
      if (row.member_id === null) continue;
      members.set((row.member_id as Buffer).toString('utf8'), new Uint8Array(row.capabilities as Buffer));
    }
    return members;
  }

  /** MySQL pushes nothing: core polls `members()` every poll interval. */
  watch(_group: string): Observable<GroupChange> {
    return EMPTY;
  }

  private mine(handle: MysqlMemberHandle) {
    return [this.session.keys.namespace, handle.groupHash, this.memberHash, handle.joinId];
  }

  private async run<T>(statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (error) {
      throw toToozError(error, 'a group statement');
    }
  }
}
