import { randomBytes } from 'node:crypto';
import {
  ConnectionError,
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  type MemberHandle,
  type MembershipOptions,
} from '@tooz/core';
import { Observable } from 'rxjs';
import type { Channels } from './channels.js';
import { ReturnCode } from './codes.js';
import type { Commands } from './commands.js';
import { codeError } from './errors.js';
import type { GroupExpiry } from './group-expiry.js';
import { type Holds, RedisMemberHandle } from './holds.js';
import { type KeyLayout, memberField, memberOfField } from './keys.js';
import { decodeGroupEvent, isPythonSeen } from './messages.js';
import type { Scripts } from './scripts.js';

const bytes = (capabilities: EncodedCapabilities) =>
  Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);

/** Names one membership (one join) on the server; no space, so it can lead an inbox message. */
const ownerToken = () => randomBytes(12).toString('base64url');

/**
 * Groups in tooz's hash-per-group layout, plus a deadline per member that
 * makes a crashed member's departure visible to watchers (group-expiry.ts,
 * which also follows Python tooz's members, who publish nothing),
 * and an owner token per membership: a leave, refresh or update acts only on
 * the membership its handle joined, so one that reaches the server late
 * (after the member joined again) changes nothing.
 */
export class RedisGroups implements GroupBackend {
  private readonly field: string;

  constructor(
    private readonly commands: Commands,
    private readonly scripts: Scripts,
    private readonly keys: KeyLayout,
    private readonly channels: Channels,
    private readonly holds: Holds,
    private readonly expiry: GroupExpiry,
    private readonly memberId: string,
    private readonly recovered$: Observable<void>,
  ) {
    this.field = memberField(memberId);
  }

  async create(group: string): Promise<void> {
    const [code] = await this.commands.script(this.scripts.create, [this.keys.group(group), this.keys.groups], [group]);
    this.check(code, group, this.scripts.create.name);
  }

  async delete(group: string): Promise<void> {
    const { keys } = this;
    const [code] = await this.commands.script(
      this.scripts.delete,
      [keys.group(group), keys.groups, keys.deadlines(group), keys.owners(group), keys.python(group)],
      [group, keys.inboxPrefix, keys.beatsPrefix],
    );
    this.check(code, group, this.scripts.delete.name);
  }

  async list(): Promise<readonly string[]> {
    return this.commands.smembers(this.keys.groups);
  }

  async join(group: string, capabilities: EncodedCapabilities, { ttl }: MembershipOptions): Promise<MemberHandle> {
    const { keys } = this;
    const px = Math.ceil(ttl);
    const handle = new RedisMemberHandle(
      keys.group(group),
      keys.deadlines(group),
      keys.owners(group),
      keys.python(group),
      this.field,
      ownerToken(),
    );
    // A removal published right behind the grant may be read before it is handled: keep it for the handle.
    const handled = this.holds.expecting(handle.groupKey);
    try {
      const { reply, replicated, replicas } = await this.commands.replicatedScript(
        this.scripts.join,
        [handle.groupKey, handle.deadlinesKey, handle.ownersKey, keys.beat(this.memberId), handle.pythonKey],
        [this.field, bytes(capabilities), px, keys.inboxPrefix, keys.beatsPrefix, handle.owner],
      );
      this.check(reply[0], group, this.scripts.join.name);
      if (!replicated) {
        this.leave(group, handle).catch(() => undefined);
        throw new ConnectionError(`Redis WAIT: only ${replicas} replica(s) acknowledged the join in time`);
      }
      this.holds.addMember(handle);
      return handle;
    } finally {
      handled();
    }
  }

  async leave(group: string, handle: MemberHandle): Promise<void> {
    const member = handle as RedisMemberHandle;
    this.holds.removeMember(member);
    const [code] = await this.commands.script(
      this.scripts.leave,
      [member.groupKey, member.deadlinesKey, member.ownersKey],
      [member.field, member.owner],
    );
    this.check(code, group, this.scripts.leave.name);
  }

  async refresh(_group: string, handle: MemberHandle, { ttl }: MembershipOptions): Promise<boolean> {
    const member = handle as RedisMemberHandle;
    const { reply, replicated, replicas } = await this.commands.replicatedScript(
      this.scripts.heartbeat,
      [member.groupKey, member.deadlinesKey, member.ownersKey, this.keys.beat(this.memberId), member.pythonKey],
      [member.field, Math.ceil(ttl), this.keys.inboxPrefix, member.owner],
    );
    if (reply[0] !== ReturnCode.OK) {
      this.holds.removeMember(member);
      return false;
    }
    if (!replicated) throw new ConnectionError(`Redis WAIT: only ${replicas} replica(s) acknowledged the refresh`);
    return true;
  }

  async update(group: string, handle: MemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const member = handle as RedisMemberHandle;
    const [code] = await this.commands.script(
      this.scripts.update,
      [member.groupKey, member.deadlinesKey, member.ownersKey],
      [member.field, bytes(capabilities), this.keys.inboxPrefix, member.owner],
    );
    this.check(code, group, this.scripts.update.name);
  }

  async members(group: string): Promise<ReadonlyMap<string, EncodedCapabilities>> {
    const { keys } = this;
    const reply = await this.commands.scriptBuffer(
      this.scripts.members,
      [keys.group(group), keys.deadlines(group), keys.owners(group), keys.python(group)],
      [keys.inboxPrefix, keys.beatsPrefix],
    );
    this.check(reply[0], group, this.scripts.members.name);
    const members = new Map<string, EncodedCapabilities>();
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const field = reply[i] as Buffer;
      members.set(memberOfField(field.toString('utf8')), new Uint8Array(reply[i + 1] as Buffer));
    }
    return members;
  }

  watch(group: string): Observable<GroupChange> {
    const channel = this.keys.group(group);
    return new Observable<GroupChange>((subscriber) => {
      // Subscribed before the expiry timer's first script, so its announcements are seen.
      const stopListening = this.channels.listen(channel, (payload) => {
        if (isPythonSeen(payload)) return this.expiry.pythonSeen(group);
        const change = decodeGroupEvent(payload);
        if (!change) return;
        subscriber.next(change);
        if (change.type === 'joined') this.expiry.joined(group);
      });
      // Python tooz's members publish nothing: the checks find their changes, and core re-reads.
      const stopExpiry = this.expiry.watch(group, () => subscriber.next({ type: 'resync' }));
      const resync = this.recovered$.subscribe(() => subscriber.next({ type: 'resync' }));
      return () => {
        stopListening();
        stopExpiry();
        resync.unsubscribe();
      };
    });
  }

  private check(code: unknown, group: string, script: string): void {
    if (code !== ReturnCode.OK) throw codeError(code, { group, member: this.memberId }, script);
  }
}
