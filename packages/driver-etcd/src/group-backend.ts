import {
  ConnectionError,
  type EncodedCapabilities,
  type GroupBackend,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core';
import type { ICompare, ITxnResponse } from 'etcd3';
import { deletion$ } from './deletion.js';
import { groupChanges } from './group-changes.js';
import { rangeOf } from './keys.js';
import type { SessionContext } from './session-context.js';
import type { SharedWatch } from './shared-watch.js';

/** A membership: the member key as this join created it. */
export interface EtcdMemberHandle extends MemberHandle {
  readonly key: Buffer;
  readonly createRevision: bigint;
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
export function groupBackend(ctx: SessionContext): GroupBackend {
  const { rpc, layout, lease } = ctx;
  /** Leaves still in flight per group: a re-join waits for them, so it cannot mistake the old key for its own. */
  const leaving = new Map<string, Promise<unknown>>();

  const memberHandle = (group: string, key: Buffer, createRevision: bigint, leaseId: string, confirmedAt: bigint) => {
    const present = async () => (await rpc.range({ key, count_only: true }, 'member check')).count !== '0';
    const lost$ = deletion$(ctx.hub, rangeOf(layout.group(group)), key, confirmedAt, present, ctx.scheduler);
    return { key, createRevision, leaseId, lost$ } satisfies EtcdMemberHandle;
  };

  const tryJoin = (groupKey: Buffer, key: Buffer, capabilities: EncodedCapabilities, leaseId: string) =>
    rpc.txn(
      {
        compare: [exists(groupKey), absent(key)],
        success: [{ request_put: { key, value: bytes(capabilities), lease: leaseId } }],
        failure: [{ request_range: { key: groupKey, count_only: true } }, { request_range: { key } }],
      },
      'join',
    );

  return {
    async create(group) {
      const key = layout.group(group);
      const response = await rpc.txn(
        { compare: [absent(key)], success: [{ request_put: { key, value: key } }] },
        'group create',
      );
      if (!response.succeeded) throw new GroupAlreadyExistsError(group);
    },

    async delete(group) {
      const key = layout.group(group);
      const members = layout.membersRange(key);
      const response = await rpc.txn(
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
    },

    async list() {
      const { start, end } = rangeOf(layout.groupsPrefix);
      const response = await rpc.range({ key: start, range_end: end, keys_only: true }, 'group list');
      const groups: string[] = [];
      for (const kv of response.kvs) {
        const id = layout.groupIdOf(kv.key);
        if (id !== undefined) groups.push(id);
      }
      return groups;
    },

    async join(group, capabilities) {
      await leaving.get(group);
      const groupKey = layout.group(group);
      const key = layout.member(group, ctx.memberId);
      for (let attempt = 0; attempt < 3; attempt++) {
        const leaseId = (await lease.ready()).id;
        const response: ITxnResponse = await tryJoin(groupKey, key, capabilities, leaseId);
        const revision = BigInt(response.header.revision);
        if (response.succeeded) return memberHandle(group, key, revision, leaseId, revision);
        if (response.responses[0]?.response_range?.count === '0') throw new GroupNotFoundError(group);
        const current = response.responses[1]?.response_range?.kvs[0];
        if (!current) continue;
        const created = BigInt(current.create_revision);
        // Our own write, retried in transport after it landed.
        if (current.lease === leaseId) return memberHandle(group, key, created, leaseId, revision);
        // Left over from a lease this session lost (revoking it failed): clear it and join afresh.
        if (attempt === 0 && lease.owns(current.lease)) {
          await rpc.txn({ compare: [createdAt(key, created)], success: [{ request_delete_range: { key } }] }, 'join');
          continue;
        }
        throw new MemberAlreadyJoinedError(group, ctx.memberId);
      }
      throw new ConnectionError('The member key kept changing while joining; try again');
    },

    async leave(group, handle) {
      const { key, createRevision } = handle as EtcdMemberHandle;
      const cleanup = { compare: [createdAt(key, createRevision)], operations: [{ request_delete_range: { key } }] };
      const left = rpc
        .txn({ compare: cleanup.compare, success: cleanup.operations }, 'leave')
        .catch((error: unknown) => {
          // The lease would keep a member we no longer are in the group: retry until it is gone.
          ctx.janitor.run({ ...cleanup, what: 'leave' });
          throw error;
        });
      const settled = left.then(
        () => undefined,
        () => undefined,
      );
      leaving.set(group, settled);
      void settled.then(() => {
        if (leaving.get(group) === settled) leaving.delete(group);
      });
      await left;
    },

    async update(group, handle, capabilities) {
      const { key, createRevision, leaseId } = handle as EtcdMemberHandle;
      const response = await rpc.txn(
        {
          compare: [createdAt(key, createRevision)],
          success: [{ request_put: { key, value: bytes(capabilities), lease: leaseId } }],
        },
        'update capabilities',
      );
      if (!response.succeeded) throw new MemberNotJoinedError(group, ctx.memberId);
    },

    async members(group) {
      const groupKey = layout.group(group);
      const range = rangeOf(groupKey);
      // A view opens its watch first: read only once it is in place, so no change falls in between.
      const watch = ctx.hub.existing(range);
      if (watch && !watch.isReady) await readyWithin(ctx, watch, rpc.timeout);
      const response = await rpc.range({ key: range.start, range_end: range.end }, 'members');
      const members = new Map<string, EncodedCapabilities>();
      let found = false;
      for (const kv of response.kvs) {
        const memberId = layout.memberIdOf(groupKey, kv.key);
        if (memberId === undefined) found = true;
        else members.set(memberId, kv.value);
      }
      if (!found) throw new GroupNotFoundError(group);
      return members;
    },

    watch: (group) => groupChanges(ctx, group),
  };
}

/** Waits for the watch, but never longer than a request may take: the read then goes ahead regardless. */
function readyWithin(ctx: SessionContext, watch: SharedWatch, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = ctx.scheduler.schedule(() => {
      watch.noteEarlyRead();
      resolve();
    }, ms);
    void watch.whenReady().then(() => {
      timer.unsubscribe();
      resolve();
    });
  });
}
