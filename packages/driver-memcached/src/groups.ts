import { randomBytes } from 'node:crypto';
import type {
  EncodedCapabilities,
  GroupBackend,
  GroupChange,
  GroupId,
  MemberHandle,
  MemberId,
  MembershipOptions,
} from '@tooz/core/driver';
import {
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import { EMPTY, type Observable } from 'rxjs';
import { unexpected } from './errors.js';
import { MemcachedKeys } from './keys.js';
import { casFrom, isStatus, OwnedKey } from './owned-key.js';
import { metaDelete, metaGet, metaSet } from './protocol/meta.js';
import type { Reply } from './protocol/reply.js';
import type { MemcachedSession } from './session.js';

/** One membership: its key, owned through a nonce that starts its value (the capabilities follow). */
export interface MemcachedMemberHandle extends MemberHandle {
  readonly held: OwnedKey;
  readonly ttl: number;
  capabilities: EncodedCapabilities;
}

/** Bytes of the nonce in front of a member's capabilities. */
const NONCE_BYTES = 16;

/**
 * Groups without one unbounded key: a member is a key of its own (its
 * capabilities, with a TTL core refreshes), found through the group's
 * index, SHARDS keys each listing the ids hashed to it. Join, leave and
 * update touch the member's key and one index key; listing reads the index
 * keys and then the members' keys, two pipelined round trips. A member
 * whose key has expired is dropped from the index by the next reader.
 * Every index write is compare-and-set, retried on conflict.
 */
export class MemcachedGroups implements GroupBackend<MemcachedMemberHandle> {
  constructor(
    private readonly session: MemcachedSession,
    private readonly keys: MemcachedKeys,
    private readonly memberId: MemberId,
  ) {}

  async create(group: GroupId): Promise<void> {
    const reply = await this.session.send(metaSet(this.keys.group(group), Buffer.from('1'), { mode: 'E' }));
    if (isStatus(reply, 'NS')) throw new GroupAlreadyExistsError(group);
    casFrom(reply, 'group create');
    await this.editList(this.keys.groups(), (ids) => (ids.includes(group) ? ids : [...ids, group]));
  }

  async delete(group: GroupId): Promise<void> {
    if ((await this.members(group)).size > 0) throw new GroupNotEmptyError(group);
    const replies = await this.session.sendAll([
      metaDelete(this.keys.group(group)),
      ...this.shards(group).map((key) => metaDelete(key)),
    ]);
    if (isStatus(replies[0] as Reply, 'NF')) throw new GroupNotFoundError(group);
    await this.editList(this.keys.groups(), (ids) => ids.filter((id) => id !== group));
  }

  async list(): Promise<readonly GroupId[]> {
    const listed = await this.readList(this.keys.groups());
    if (listed.ids.length === 0) return [];
    // The list may name a group whose create did not finish or whose delete did: its own key decides.
    const replies = await this.session.sendAll(listed.ids.map((id) => metaGet(this.keys.group(id), { value: false })));
    return listed.ids.filter((_, i) => isStatus(replies[i] as Reply, 'HD'));
  }

  async join(
    group: GroupId,
    capabilities: EncodedCapabilities,
    { ttl }: MembershipOptions,
  ): Promise<MemcachedMemberHandle> {
    const key = this.keys.member(group, this.memberId);
    const nonce = Buffer.from(randomBytes(NONCE_BYTES / 2).toString('hex'));
    const [exists, stored] = await this.session.sendAll([
      metaGet(this.keys.group(group), { value: false }),
      metaSet(key, Buffer.concat([nonce, capabilities]), { mode: 'E', ttl }),
    ]);
    if (isStatus(exists as Reply, 'EN')) {
      if (isStatus(stored as Reply, 'HD')) await this.session.send(metaDelete(key, casFrom(stored as Reply, 'join')));
      throw new GroupNotFoundError(group);
    }
    if (isStatus(stored as Reply, 'NS')) throw new MemberAlreadyJoinedError(group, this.memberId);
    const held = new OwnedKey(this.session, key, nonce, casFrom(stored as Reply, 'join'));
    const handle: MemcachedMemberHandle = { held, ttl, capabilities };
    // Written even when the id is listed already, so that a reader pruning it from an older copy fails its CAS.
    await this.editList(this.keys.shard(group, this.memberId), (ids) => [
      ...ids.filter((id) => id !== this.memberId),
      this.memberId,
    ]);
    return handle;
  }

  async leave(group: GroupId, handle: MemcachedMemberHandle): Promise<void> {
    await this.editList(this.keys.shard(group, this.memberId), (ids) => ids.filter((id) => id !== this.memberId));
    if (!(await handle.held.delete('leave'))) throw new MemberNotJoinedError(group, this.memberId);
  }

  async refresh(_group: GroupId, handle: MemcachedMemberHandle, { ttl }: MembershipOptions): Promise<boolean> {
    return handle.held.write(Buffer.concat([handle.held.owner, handle.capabilities]), ttl, 'membership refresh');
  }

  async update(group: GroupId, handle: MemcachedMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const value = Buffer.concat([handle.held.owner, capabilities]);
    if (!(await handle.held.write(value, handle.ttl, 'update'))) throw new MemberNotJoinedError(group, this.memberId);
    handle.capabilities = capabilities;
  }

  async members(group: GroupId): Promise<ReadonlyMap<MemberId, EncodedCapabilities>> {
    const shards = this.shards(group);
    const [exists, ...indexes] = await this.session.sendAll([
      metaGet(this.keys.group(group), { value: false }),
      ...shards.map((key) => metaGet(key)),
    ]);
    if (isStatus(exists as Reply, 'EN')) throw new GroupNotFoundError(group);
    const listed = indexes.flatMap((reply, shard) => idsOf(reply).map((id) => ({ id, shard })));
    if (listed.length === 0) return new Map();
    const values = await this.session.sendAll(listed.map(({ id }) => metaGet(this.keys.member(group, id))));
    const members = new Map<MemberId, EncodedCapabilities>();
    const dead = new Set<number>();
    listed.forEach(({ id, shard }, i) => {
      const reply = values[i] as Reply;
      if (reply.kind === 'value') members.set(id, new Uint8Array(reply.data.subarray(NONCE_BYTES)));
      else dead.add(shard);
    });
    // Expired members leave the index; a concurrent join rewrote its shard, so this CAS then fails and the id stays.
    for (const shard of dead) void this.prune(group, shards[shard] as string, indexes[shard] as Reply).catch(() => {});
    return members;
  }

  watch(_group: GroupId): Observable<GroupChange> {
    return EMPTY;
  }

  private shards(group: GroupId): string[] {
    return Array.from({ length: MemcachedKeys.SHARDS }, (_, i) => this.keys.shardAt(group, i));
  }

  private async prune(group: GroupId, shardKey: string, read: Reply): Promise<void> {
    const cas = read.kind === 'value' ? read.flags.get('c') : undefined;
    if (cas === undefined) return;
    const ids = idsOf(read);
    const alive = await this.session.sendAll(ids.map((id) => metaGet(this.keys.member(group, id), { value: false })));
    const kept = ids.filter((_, i) => isStatus(alive[i] as Reply, 'HD'));
    await this.session.send(metaSet(shardKey, Buffer.from(JSON.stringify(kept)), { cas: BigInt(cas) }));
  }

  private async readList(key: string): Promise<{ ids: string[]; cas: bigint | undefined }> {
    const reply = await this.session.send(metaGet(key));
    if (isStatus(reply, 'EN')) return { ids: [], cas: undefined };
    if (reply.kind !== 'value') throw unexpected(reply, 'read');
    return { ids: idsOf(reply), cas: BigInt(reply.flags.get('c') ?? '0') };
  }

  /** Compare-and-set edit of a JSON list of ids, retried until it lands. */
  private async editList(key: string, edit: (ids: string[]) => string[]): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { ids, cas } = await this.readList(key);
      const value = Buffer.from(JSON.stringify(edit(ids)));
      const reply = await this.session.send(metaSet(key, value, cas === undefined ? { mode: 'E' } : { cas }));
      if (isStatus(reply, 'HD')) return;
      if (!isStatus(reply, 'NS', 'EX', 'NF')) throw unexpected(reply, 'index write');
    }
    throw unexpected({ kind: 'error', message: 'too many conflicting writers' }, `index ${key}`);
  }
}

function idsOf(reply: Reply | undefined): string[] {
  if (reply?.kind !== 'value') return [];
  try {
    const ids: unknown = JSON.parse(reply.data.toString('utf8'));
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
