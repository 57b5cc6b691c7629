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
  type MemberId,
  MemberNotJoinedError,
} from '@tooz/core/driver';
import { Observable } from 'rxjs';
import { retryInBackground } from './background.js';
import { statusError } from './errors.js';
import { HoldWatch } from './hold-watch.js';
import { kvPath } from './keys.js';
import { decodeValue, type KvEntry, readKv } from './kv-watch.js';
import type { ConsulContext } from './session.js';

/** A membership: the member key, held by the coordinator's `delete`-behaviour session. */
export interface ConsulMemberHandle extends MemberHandle {
  /** The member's KV key. */
  readonly key: string;
  /** The Consul session id that holds the key. */
  readonly session: string;
  /** Reports the key lost when a blocking query sees it gone or taken. */
  readonly watch: HoldWatch;
}

/** msgpack's empty map: what an empty value (Python tooz's, or a cleared one) means as capabilities. */
const EMPTY_MAP = Uint8Array.of(0x80);
const capabilitiesOf = (entry: KvEntry): EncodedCapabilities =>
  entry.Value ? new Uint8Array(decodeValue(entry)) : EMPTY_MAP;

/**
 * Groups in Python tooz's consul layout: `<ns>/groups/<g>/` marks the
 * group, each member is `<ns>/groups/<g>/<member>` holding msgpack
 * capabilities. Unlike tooz, a member key is acquired with the member's
 * `delete`-behaviour session, so a member whose session ends vanishes
 * (and watchers see it leave). Consul has no compare on a whole prefix: a
 * join re-reads the group after taking its key, and undoes itself if the
 * group was deleted meanwhile.
 */
export class ConsulGroups implements GroupBackend<ConsulMemberHandle> {
  /** Member keys whose leave is being sent again: a join of the same key waits for it (our session could re-take the key, and the late delete would then remove the new membership). */
  private readonly leaving = new Map<string, Promise<void>>();

  constructor(private readonly ctx: ConsulContext) {}

  async create(group: GroupId): Promise<void> {
    const created = await this.ctx.api.json<boolean>('PUT', kvPath(this.ctx.keys.group(group)), 'group create', {
      query: { cas: '0' },
      body: '',
    });
    if (!created) throw new GroupAlreadyExistsError(group);
  }

  async delete(group: GroupId): Promise<void> {
    const groupKey = this.ctx.keys.group(group);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { entries } = await readKv(this.ctx.api, groupKey, true, 'group delete');
      const own = entries.find((entry) => entry.Key === groupKey);
      if (!own) throw new GroupNotFoundError(group);
      if (entries.some((entry) => this.ctx.keys.memberIdOf(groupKey, entry.Key) !== undefined)) {
        throw new GroupNotEmptyError(group);
      }
      const deleted = await this.ctx.api.json<boolean>('DELETE', kvPath(groupKey), 'group delete', {
        query: { cas: String(own.ModifyIndex) },
      });
      if (deleted) return;
    }
    throw new GroupNotEmptyError(group);
  }

  async list(): Promise<GroupId[]> {
    const { api, keys } = this.ctx;
    const reply = await api.request('GET', kvPath(keys.groupsPrefix), 'group list', {
      query: { keys: 'true', separator: '/' },
    });
    if (reply.status === 404) return [];
    if (reply.status !== 200) throw statusError(reply.status, reply.body.toString('utf8'), 'group list');
    return (JSON.parse(reply.body.toString('utf8')) as string[]).flatMap((key) => keys.groupIdOf(key) ?? []);
  }

  async join(group: GroupId, capabilities: EncodedCapabilities): Promise<ConsulMemberHandle> {
    const { api, keys, lease, memberId } = this.ctx;
    const groupKey = keys.group(group);
    const key = keys.member(group, memberId);
    await this.leaving.get(key);
    const before = await readKv(api, groupKey, false, 'join');
    if (before.entries.length === 0) throw new GroupNotFoundError(group);
    const session = lease.sessions.members;
    const watch = new HoldWatch(this.ctx.watch(groupKey, true));
    try {
      const taken = await api.json<boolean>('PUT', kvPath(key), 'join', {
        query: { acquire: session },
        body: capabilities,
      });
      if (!taken) throw new MemberAlreadyJoinedError(group, memberId);
      const { entries } = await readKv(api, groupKey, true, 'join');
      const mine = entries.find((entry) => entry.Key === key);
      if (!entries.some((entry) => entry.Key === groupKey)) {
        if (mine) await this.deleteIfMine(key, session);
        throw new GroupNotFoundError(group);
      }
      if (mine?.Session !== session) throw new MemberAlreadyJoinedError(group, memberId);
      watch.arm(key, session, mine.ModifyIndex);
      return { key, session, watch, lost$: watch.lost$ };
    } catch (error) {
      watch.stop();
      throw error;
    }
  }

  async leave(group: GroupId, handle: ConsulMemberHandle): Promise<void> {
    handle.watch.stop();
    let left: boolean;
    try {
      left = await this.deleteIfMine(handle.key, handle.session);
    } catch (error) {
      // The member key stays while its session lives: the leave must land, so it is retried in the background.
      const done = retryInBackground(this.ctx, () => this.deleteIfMine(handle.key, handle.session));
      this.leaving.set(handle.key, done);
      void done.then(() => {
        if (this.leaving.get(handle.key) === done) this.leaving.delete(handle.key);
      });
      throw error;
    }
    if (!left) throw new MemberNotJoinedError(group, this.ctx.memberId);
  }

  async update(group: GroupId, handle: ConsulMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { entries } = await readKv(this.ctx.api, handle.key, false, 'update capabilities');
      const entry = entries[0];
      if (entry?.Session !== handle.session) throw new MemberNotJoinedError(group, this.ctx.memberId);
      // A plain put (`cas`) keeps the key's lock: it stays bound to the session.
      const written = await this.ctx.api.json<boolean>('PUT', kvPath(handle.key), 'update capabilities', {
        query: { cas: String(entry.ModifyIndex) },
        body: capabilities,
      });
      if (written) return;
    }
    throw new MemberNotJoinedError(group, this.ctx.memberId);
  }

  async members(group: GroupId): Promise<ReadonlyMap<MemberId, EncodedCapabilities>> {
    const groupKey = this.ctx.keys.group(group);
    const { entries } = await readKv(this.ctx.api, groupKey, true, 'members');
    if (!entries.some((entry) => entry.Key === groupKey)) throw new GroupNotFoundError(group);
    return membersOf(this.ctx, groupKey, entries);
  }

  /**
   * A group's changes from a blocking query on its prefix: member keys that
   * appear are `joined`, change `updated` (made again: `left` then
   * `joined`), vanish `left`; the group key vanishing is `deleted`.
   */
  watch(group: GroupId): Observable<GroupChange> {
    const groupKey = this.ctx.keys.group(group);
    return new Observable<GroupChange>((subscriber) => {
      let previous: ReadonlyMap<string, KvEntry> | undefined;
      return this.ctx.watch(groupKey, true).subscribe((snapshot) => {
        const before = previous;
        previous = snapshot.entries;
        if (snapshot.fresh || !before) return subscriber.next({ type: 'resync' });
        for (const change of diff(this.ctx, groupKey, before, snapshot.entries)) subscriber.next(change);
      });
    });
  }

  /** Deletes a member key if this session still holds it; false if it does not. */
  private async deleteIfMine(key: string, session: string): Promise<boolean> {
    const { entries } = await readKv(this.ctx.api, key, false, 'leave');
    const entry = entries[0];
    if (entry?.Session !== session) return false;
    return this.ctx.api.json<boolean>('DELETE', kvPath(key), 'leave', { query: { cas: String(entry.ModifyIndex) } });
  }
}

function membersOf(
  ctx: ConsulContext,
  groupKey: string,
  entries: Iterable<KvEntry>,
): Map<MemberId, EncodedCapabilities> {
  const members = new Map<MemberId, EncodedCapabilities>();
  for (const entry of entries) {
    const memberId = ctx.keys.memberIdOf(groupKey, entry.Key);
    if (memberId !== undefined) members.set(memberId, capabilitiesOf(entry));
  }
  return members;
}

function* diff(
  ctx: ConsulContext,
  groupKey: string,
  before: ReadonlyMap<string, KvEntry>,
  after: ReadonlyMap<string, KvEntry>,
): Generator<GroupChange> {
  if (before.has(groupKey) && !after.has(groupKey)) {
    yield { type: 'deleted' };
    return;
  }
  for (const [key, entry] of after) {
    const memberId = ctx.keys.memberIdOf(groupKey, key);
    if (memberId === undefined) continue;
    const old = before.get(key);
    if (old && old.ModifyIndex === entry.ModifyIndex) continue;
    const capabilities = capabilitiesOf(entry);
    if (!old) yield { type: 'joined', memberId, capabilities };
    else if (old.CreateIndex !== entry.CreateIndex) {
      yield { type: 'left', memberId };
      yield { type: 'joined', memberId, capabilities };
    } else yield { type: 'updated', memberId, capabilities };
  }
  for (const key of before.keys()) {
    const memberId = ctx.keys.memberIdOf(groupKey, key);
    if (memberId !== undefined && !after.has(key)) yield { type: 'left', memberId };
  }
}
