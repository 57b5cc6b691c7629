import {
  ConnectionError,
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  GroupAlreadyExistsError,
  type GroupId,
  GroupNotEmptyError,
  GroupNotFoundError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  type MemberId,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import type { ICompare } from 'etcd3';
import { Observable } from 'rxjs';
import { deletion$ } from './deletion.js';
import { rangeOf } from './keys.js';
import type { EtcdContext } from './session.js';

/** A membership: the member key as this join created it. */
export interface EtcdMemberHandle extends MemberHandle {
  /** The member's key. */
  readonly key: Buffer;
  /** The revision that created it: a later key of the same name is another join. */
  readonly createRevision: bigint;
  /** The lease the key is attached to. */
  readonly leaseId: string;
}

const exists = (key: Buffer): ICompare => ({ key, target: 'Create', result: 'Greater', create_revision: '0' });
const absent = (key: Buffer): ICompare => ({ key, target: 'Create', result: 'Equal', create_revision: '0' });
const createdAt = (key: Buffer, revision: bigint): ICompare => ({
  key,
  target: 'Create',
  result: 'Equal',
  create_revision: revision.toString(),
});
const bytes = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * Groups in tooz's etcd3gw layout: the group key holds its own name, member
 * keys hold msgpack capabilities and hang on the session lease. Each
 * operation is one transaction, so unlike tooz there is no read-then-write
 * race (a member joining a group being deleted, a second join slipping in).
 */
export class EtcdGroups implements GroupBackend<EtcdMemberHandle> {
  /** Leaves still in flight per group: a re-join waits for them, so it cannot mistake the old key for its own. */
  private readonly leaving = new Map<GroupId, Promise<unknown>>();

  constructor(private readonly ctx: EtcdContext) {}

  async create(group: GroupId): Promise<void> {
    const key = this.ctx.keys.group(group);
    const response = await this.ctx.rpc.txn(
      { compare: [absent(key)], success: [{ request_put: { key, value: key } }] },
      'group create',
    );
    if (!response.succeeded) throw new GroupAlreadyExistsError(group);
  }

  async delete(group: GroupId): Promise<void> {
    const key = this.ctx.keys.group(group);
    const members = this.ctx.keys.membersRange(key);
    const response = await this.ctx.rpc.txn(
      {
        compare: [exists(key), { ...absent(members.start), range_end: members.end }],
        success: [{ request_delete_range: { key } }],
        failure: [{ request_range: { key, count_only: true } }],
      },
      'group delete',
    );
    if (response.succeeded) return;
    if (response.responses[0]?.response_range?.count === '0') throw new GroupNotFoundError(group);
    throw new GroupNotEmptyError(group);
  }

  async list(): Promise<GroupId[]> {
    const { start, end } = rangeOf(this.ctx.keys.groupsPrefix);
    const response = await this.ctx.rpc.range({ key: start, range_end: end, keys_only: true }, 'group list');
    return response.kvs.flatMap((kv) => this.ctx.keys.groupIdOf(kv.key) ?? []);
  }

  async join(group: GroupId, capabilities: EncodedCapabilities): Promise<EtcdMemberHandle> {
    const { ctx } = this;
    await this.leaving.get(group);
    const groupKey = ctx.keys.group(group);
    const key = ctx.keys.member(group, ctx.memberId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const leaseId = (await ctx.lease.ready()).id;
      const response = await ctx.rpc.txn(
        {
          compare: [exists(groupKey), absent(key)],
          success: [{ request_put: { key, value: bytes(capabilities), lease: leaseId } }],
          failure: [{ request_range: { key: groupKey, count_only: true } }, { request_range: { key } }],
        },
        'join',
      );
      const revision = BigInt(response.header.revision);
      if (response.succeeded) return this.membership(group, key, revision, leaseId, revision);
      if (response.responses[0]?.response_range?.count === '0') throw new GroupNotFoundError(group);
      const current = response.responses[1]?.response_range?.kvs[0];
      if (!current) continue;
      const created = BigInt(current.create_revision);
      // Our own write, retried in transport after it landed.
      if (current.lease === leaseId) return this.membership(group, key, created, leaseId, revision);
      // Left over from a lease this session lost (revoking it failed): clear it and join afresh.
      if (attempt === 0 && ctx.lease.owns(current.lease)) {
        await ctx.rpc.txn({ compare: [createdAt(key, created)], success: [{ request_delete_range: { key } }] }, 'join');
        continue;
      }
      throw new MemberAlreadyJoinedError(group, ctx.memberId);
    }
    throw new ConnectionError('The member key kept changing while joining; try again');
  }

  async leave(group: GroupId, { key, createRevision }: EtcdMemberHandle): Promise<void> {
    const cleanup = { compare: [createdAt(key, createRevision)], operations: [{ request_delete_range: { key } }] };
    const left = this.ctx.rpc
      .txn({ compare: cleanup.compare, success: cleanup.operations }, 'leave')
      .catch((error: unknown) => {
        // The lease would keep a member we no longer are in the group: retry until it is gone.
        this.ctx.janitor.run({ ...cleanup, what: 'leave' });
        throw error;
      });
    const settled = left.then(
      () => undefined,
      () => undefined,
    );
    this.leaving.set(group, settled);
    void settled.then(() => {
      if (this.leaving.get(group) === settled) this.leaving.delete(group);
    });
    await left;
  }

  async update(group: GroupId, handle: EtcdMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const { key, createRevision, leaseId } = handle;
    const response = await this.ctx.rpc.txn(
      {
        compare: [createdAt(key, createRevision)],
        success: [{ request_put: { key, value: bytes(capabilities), lease: leaseId } }],
      },
      'update capabilities',
    );
    if (!response.succeeded) throw new MemberNotJoinedError(group, this.ctx.memberId);
  }

  async members(group: GroupId): Promise<ReadonlyMap<MemberId, EncodedCapabilities>> {
    const { ctx } = this;
    const groupKey = ctx.keys.group(group);
    const range = rangeOf(groupKey);
    // A view opens its watch first: read only once it is in place, so no change falls in between.
    await ctx.watches.settled(range, ctx.rpc.timeout);
    const response = await ctx.rpc.range({ key: range.start, range_end: range.end }, 'members');
    const members = new Map<MemberId, EncodedCapabilities>();
    let found = false;
    for (const kv of response.kvs) {
      const memberId = ctx.keys.memberIdOf(groupKey, kv.key);
      if (memberId === undefined) found = true;
      else members.set(memberId, kv.value);
    }
    if (!found) throw new GroupNotFoundError(group);
    return members;
  }

  /**
   * A group's changes from its shared prefix watch: each member key's put is
   * `joined` (first version) or `updated`, its deletion `left`; the group
   * key's deletion is `deleted`. A watch that lost history (compaction) or
   * came up after a snapshot was read says `resync`, and core re-reads and diffs.
   */
  watch(group: GroupId): Observable<GroupChange> {
    const { keys, watches } = this.ctx;
    const groupKey = keys.group(group);
    return new Observable<GroupChange>((subscriber) => {
      let afterReset = false;
      return watches.watch(rangeOf(groupKey)).subscribe((signal) => {
        if (signal.type === 'reset') {
          afterReset = true;
        } else if (signal.type === 'ready') {
          if (afterReset || signal.late) subscriber.next({ type: 'resync' });
          afterReset = false;
        } else {
          for (const { type, kv } of signal.events) {
            const memberId = keys.memberIdOf(groupKey, kv.key);
            if (memberId === undefined) {
              if (type === 'Delete') subscriber.next({ type: 'deleted' });
            } else if (type === 'Delete') {
              subscriber.next({ type: 'left', memberId });
            } else {
              subscriber.next({ type: kv.version === '1' ? 'joined' : 'updated', memberId, capabilities: kv.value });
            }
          }
        }
      });
    });
  }

  private membership(
    group: GroupId,
    key: Buffer,
    createRevision: bigint,
    leaseId: string,
    confirmedAt: bigint,
  ): EtcdMemberHandle {
    const present = async () => (await this.ctx.rpc.range({ key, count_only: true }, 'member check')).count !== '0';
    const lost$ = deletion$(this.ctx, rangeOf(this.ctx.keys.group(group)), key, confirmedAt, present);
    return { key, createRevision, leaseId, lost$ };
  }
}
