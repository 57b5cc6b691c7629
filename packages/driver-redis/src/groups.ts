import { randomBytes } from 'node:crypto';
import {
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  HoldRegistry,
  LossSignal,
  type MemberHandle,
  type MembershipOptions,
  SharedWatches,
} from '@tooz/core/driver';
import { Observable } from 'rxjs';
import { ReturnCode } from './codes.js';
import { EarlyLosses } from './early-losses.js';
import { codeError } from './errors.js';
import { GroupExpiry } from './group-expiry.js';
import { memberField, memberOfField } from './keys.js';
import { decodeGroupEvent, isPythonSeen } from './messages.js';
import type { RedisSessionContext } from './session.js';

/**
 * One membership: its group, and the owner token its join wrote. Every
 * later step (refresh, update, leave) names the token, so a step of an
 * older membership of the same member never touches a newer one.
 */
export class RedisMemberHandle implements MemberHandle {
  readonly loss = new LossSignal();

  constructor(
    readonly group: string,
    readonly groupKey: string,
    readonly owner: string,
  ) {}

  get lost$() {
    return this.loss.lost$;
  }
}

const RESYNC: GroupChange = { type: 'resync' };

const bytes = (capabilities: EncodedCapabilities) =>
  Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength);

/** Names one membership (one join) on the server; no space, so it can lead an inbox message. */
const ownerToken = () => randomBytes(12).toString('base64url');

/** Only a member found past its deadline is removed by someone else: an expiry, not a theft. */
const removedAsDead = () => new Error('The membership was found past its deadline and removed');

/**
 * Groups in tooz's hash-per-group layout, plus a deadline per member that
 * makes a crashed member's departure visible to watchers (group-expiry.ts,
 * which also follows Python tooz's members, who publish nothing),
 * and an owner token per membership: a leave, refresh or update acts only on
 * the membership its handle joined, so one that reaches the server late
 * (after the member joined again) changes nothing.
 */
export class RedisGroups implements GroupBackend<RedisMemberHandle> {
  private readonly field: string;
  private readonly holds = new HoldRegistry<RedisMemberHandle>();
  /** A removal published right behind a join may be read before the join is handled: kept for the handle. */
  private readonly early = new EarlyLosses();
  private readonly watches = new SharedWatches<string, GroupChange>((group) => this.watchGroup(group));

  constructor(
    private readonly session: RedisSessionContext,
    /** How often a group that has had a Python tooz member is re-checked (they publish nothing). */
    private readonly pythonInterval: number,
  ) {
    this.field = memberField(session.memberId);
  }

  /** The keys every membership script takes first. */
  private memberKeys(group: string): string[] {
    const { keys } = this.session;
    return [keys.group(group), keys.deadlines(group), keys.owners(group)];
  }

  async create(group: string): Promise<void> {
    const { commands, scripts, keys } = this.session;
    const [code] = await commands.script(scripts.create, [keys.group(group), keys.groups], [group]);
    this.check(code, group, scripts.create.name);
  }

  async delete(group: string): Promise<void> {
    const { commands, scripts, keys } = this.session;
    const [code] = await commands.script(
      scripts.delete,
      [keys.group(group), keys.groups, keys.deadlines(group), keys.owners(group), keys.python(group)],
      [group, keys.inboxPrefix, keys.beatsPrefix],
    );
    this.check(code, group, scripts.delete.name);
  }

  list(): Promise<readonly string[]> {
    return this.session.commands.smembers(this.session.keys.groups);
  }

  async join(group: string, capabilities: EncodedCapabilities, { ttl }: MembershipOptions): Promise<RedisMemberHandle> {
    const { commands, scripts, keys, memberId } = this.session;
    const handle = new RedisMemberHandle(group, keys.group(group), ownerToken());
    const grant = this.early.expect(handle.groupKey);
    try {
      const { reply, replicated, replicas } = await commands.replicatedScript(
        scripts.join,
        [...this.memberKeys(group), keys.beat(memberId), keys.python(group)],
        [this.field, bytes(capabilities), Math.ceil(ttl), keys.inboxPrefix, keys.beatsPrefix, handle.owner],
      );
      this.check(reply[0], group, scripts.join.name);
      if (!replicated) {
        this.leave(group, handle).catch(() => undefined);
        throw await commands.notReplicated('join', replicas, true);
      }
      if (this.early.take(handle.groupKey, handle.owner)) handle.loss.expired(removedAsDead());
      else this.holds.add(handle);
      return handle;
    } finally {
      this.early.done(grant);
    }
  }

  async leave(group: string, handle: RedisMemberHandle): Promise<void> {
    this.holds.take(handle);
    const { commands, scripts } = this.session;
    const [code] = await commands.script(scripts.leave, this.memberKeys(group), [this.field, handle.owner]);
    this.check(code, group, scripts.leave.name);
  }

  async refresh(group: string, handle: RedisMemberHandle, { ttl }: MembershipOptions): Promise<boolean> {
    const { commands, scripts, keys, memberId } = this.session;
    const { reply, replicated, replicas } = await commands.replicatedScript(
      scripts.heartbeat,
      [...this.memberKeys(group), keys.beat(memberId), keys.python(group)],
      [this.field, Math.ceil(ttl), keys.inboxPrefix, handle.owner],
    );
    if (reply[0] !== ReturnCode.OK) {
      this.holds.take(handle);
      return false;
    }
    if (!replicated) throw await commands.notReplicated('membership refresh', replicas, false);
    return true;
  }

  async update(group: string, handle: RedisMemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const { commands, scripts, keys } = this.session;
    const [code] = await commands.script(scripts.update, this.memberKeys(group), [
      this.field,
      bytes(capabilities),
      keys.inboxPrefix,
      handle.owner,
    ]);
    this.check(code, group, scripts.update.name);
  }

  async members(group: string): Promise<ReadonlyMap<string, EncodedCapabilities>> {
    const { commands, scripts, keys } = this.session;
    const reply = await commands.scriptBuffer(
      scripts.members,
      [...this.memberKeys(group), keys.python(group)],
      [keys.inboxPrefix, keys.beatsPrefix],
    );
    this.check(reply[0], group, scripts.members.name);
    const members = new Map<string, EncodedCapabilities>();
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const field = reply[i] as Buffer;
      members.set(memberOfField(field.toString('utf8')), new Uint8Array(reply[i + 1] as Buffer));
    }
    return members;
  }

  watch(group: string): Observable<GroupChange> {
    return this.watches.get(group);
  }

  /** The member's inbox says its membership `owner` of `groupKey` was removed as dead. */
  removed(groupKey: string, owner: string): void {
    const handle = [...this.holds.values()].find((h) => h.groupKey === groupKey && h.owner === owner);
    if (!handle) return this.early.note(groupKey, owner);
    this.holds.take(handle);
    handle.loss.expired(removedAsDead());
  }

  /** Reads every membership back; those the server no longer has (a restart, a failover) are lost. */
  async verify(): Promise<void> {
    const held = [...this.holds.values()];
    if (held.length === 0) return;
    const { commands, keys } = this.session;
    const [now, deadlines, owners] = await Promise.all([
      commands.time(),
      Promise.all(held.map((handle) => commands.zscore(keys.deadlines(handle.group), this.field))),
      Promise.all(held.map((handle) => commands.hget(keys.owners(handle.group), this.field))),
    ]);
    held.forEach((handle, i) => {
      const deadline = deadlines[i];
      const alive = deadline !== null && deadline !== undefined && Number(deadline) >= now;
      if ((alive && owners[i] === handle.owner) || !this.holds.take(handle)) return;
      handle.loss.expired(new Error('The membership was no longer on the server when the connection came back'));
    });
  }

  /** One watch per group: its channel, its expiry checks, and a re-read after each reconnect. */
  private watchGroup(group: string): Observable<GroupChange> {
    const { channels, keys, recovered$ } = this.session;
    return new Observable<GroupChange>((subscriber) => {
      const expiry = new GroupExpiry(this.session, group, this.pythonInterval, () => subscriber.next(RESYNC));
      // Subscribed before the expiry's first script, so its announcements are seen.
      const messages = channels.messages(keys.group(group)).subscribe((payload) => {
        if (isPythonSeen(payload)) return expiry.check();
        const change = decodeGroupEvent(payload);
        if (!change) return;
        subscriber.next(change);
        if (change.type === 'joined') expiry.joined();
      });
      expiry.check();
      const recovered = recovered$.subscribe(() => {
        subscriber.next(RESYNC);
        expiry.check();
      });
      return () => {
        messages.unsubscribe();
        recovered.unsubscribe();
        expiry.stop();
      };
    });
  }

  private check(code: unknown, group: string, script: string): void {
    if (code !== ReturnCode.OK) throw codeError(code, { group, member: this.session.memberId }, script);
  }
}
