import { randomUUID } from 'node:crypto';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * What one Consul datacenter stores, as its documentation describes it:
 * KV entries with Raft indexes, sessions with TTLs and behaviours, lock
 * delays. Everything a write changes bumps the one Raft index; readers are
 * told (`onChange`) so blocked queries can re-evaluate.
 *
 * KV: https://developer.hashicorp.com/consul/api-docs/kv
 * Sessions: https://developer.hashicorp.com/consul/api-docs/session and
 * https://developer.hashicorp.com/consul/docs/automate/session
 */

/** One KV entry, with Consul's field names. */
export interface KvEntry {
  /** The full key. */
  readonly Key: string;
  /** Raft index of its creation. */
  readonly CreateIndex: number;
  /** Raft index of its last change. */
  ModifyIndex: number;
  /** How many times it has been acquired by a session. */
  LockIndex: number;
  /** The client's opaque flags, as given (a uint64 in decimal). */
  Flags: string;
  /** The value; null when empty. */
  Value: Buffer | null;
  /** The session holding it, if any. */
  Session: string | undefined;
}

export type Behavior = 'release' | 'delete';

/** One session, with Consul's field names. */
export interface SessionRecord {
  /** Its UUID. */
  readonly ID: string;
  /** The name its creator gave. */
  readonly Name: string;
  /** The node it is tied to. */
  readonly Node: string;
  /** Nanoseconds, as Consul reports it. */
  readonly LockDelay: number;
  /** What its invalidation does to the keys it holds. */
  readonly Behavior: Behavior;
  /** A Go duration (`'15s'`), as Consul shows it; empty without a TTL. */
  readonly TTL: string;
  /** Milliseconds; 0 without a TTL. */
  readonly ttlMs: number;
  /** Health checks that invalidate it when critical. */
  readonly NodeChecks: readonly string[];
  /** Raft index of its creation. */
  readonly CreateIndex: number;
  /** Raft index of its last change. */
  readonly ModifyIndex: number;
}

export interface StateOptions {
  readonly scheduler?: SchedulerLike;
  /** Consul invalidates a TTL session at most this many TTLs after its last renew (Consul: 2). */
  readonly ttlMultiplier?: number;
}

/** A failure Consul reports with an HTTP status (its RPC errors are 500s). */
export class ConsulHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A fresh server's Raft index after bootstrapping (elections, autopilot writes): never 0. */
const FIRST_INDEX = 13;

export class ConsulState {
  readonly kv = new Map<string, KvEntry>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Deleted keys and the index of their deletion (Consul's graveyard). */
  readonly tombstones = new Map<string, number>();
  private readonly lockDelays = new Map<string, number>();
  private readonly expiries = new Map<string, Subscription>();
  private readonly listeners = new Set<() => void>();
  readonly scheduler: SchedulerLike;
  private readonly ttlMultiplier: number;
  raftIndex = FIRST_INDEX;
  /** Max index of the kvs and tombstones tables. */
  kvIndex = FIRST_INDEX;
  sessionsIndex = FIRST_INDEX;

  constructor(options: StateOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.ttlMultiplier = options.ttlMultiplier ?? 2;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(): number {
    return ++this.raftIndex;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  // ---- KV ----

  get(key: string): KvEntry | undefined {
    return this.kv.get(key);
  }

  list(prefix: string): KvEntry[] {
    return [...this.kv.values()].filter((e) => e.Key.startsWith(prefix)).sort((a, b) => (a.Key < b.Key ? -1 : 1));
  }

  /**
   * The X-Consul-Index of a prefix read: the highest ModifyIndex under the
   * prefix or of a tombstone under it, else the whole table's index.
   */
  listIndex(prefix: string): number {
    if (prefix === '') return this.kvIndex;
    let index = 0;
    for (const entry of this.list(prefix)) index = Math.max(index, entry.ModifyIndex);
    for (const [key, at] of this.tombstones) if (key.startsWith(prefix)) index = Math.max(index, at);
    return index || this.kvIndex;
  }

  /** Plain put, or `cas`: keeps the key's lock (Session and LockIndex) as Consul does. */
  put(key: string, value: Buffer | null, flags: string, cas?: number): boolean {
    const existing = this.kv.get(key);
    if (cas !== undefined && (cas === 0 ? existing !== undefined : existing?.ModifyIndex !== cas)) {
      this.commit();
      return false;
    }
    this.write(key, value, flags, existing?.Session, existing?.LockIndex ?? 0);
    return true;
  }

  acquire(key: string, value: Buffer | null, flags: string, session: string): boolean {
    if (!this.sessions.has(session)) throw new ConsulHttpError(500, `invalid session "${session}"`);
    const index = this.commit();
    const existing = this.kv.get(key);
    if ((this.lockDelays.get(key) ?? 0) > this.scheduler.now()) return false;
    if (existing?.Session !== undefined && existing.Session !== session) return false;
    const lockIndex = (existing?.LockIndex ?? 0) + (existing?.Session === session ? 0 : 1);
    this.write(key, value, flags, session, lockIndex, index);
    return true;
  }

  release(key: string, value: Buffer | null, flags: string, session: string): boolean {
    const index = this.commit();
    const existing = this.kv.get(key);
    if (!existing || existing.Session !== session) return false;
    this.write(key, value, flags, undefined, existing.LockIndex, index);
    return true;
  }

  /** DELETE: one key, a prefix (`recurse`), or one key if its ModifyIndex is `cas` (which must be > 0). */
  delete(key: string, recurse: boolean, cas?: number): boolean {
    const index = this.commit();
    if (cas !== undefined) {
      const existing = this.kv.get(key);
      if (cas === 0 || existing?.ModifyIndex !== cas) return false;
      this.remove([key], index);
      return true;
    }
    this.remove(recurse ? this.list(key).map((e) => e.Key) : [key], index);
    return true;
  }

  private write(
    key: string,
    value: Buffer | null,
    flags: string,
    session: string | undefined,
    lockIndex: number,
    index = this.commit(),
  ): void {
    const existing = this.kv.get(key);
    this.kv.set(key, {
      Key: key,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      LockIndex: lockIndex,
      Flags: flags,
      Value: value && value.length > 0 ? value : null,
      Session: session,
    });
    this.tombstones.delete(key);
    this.kvIndex = index;
    this.changed();
  }

  private remove(keys: readonly string[], index: number): void {
    let any = false;
    for (const key of keys) {
      if (!this.kv.delete(key)) continue;
      this.tombstones.set(key, index);
      any = true;
    }
    if (!any) return;
    this.kvIndex = index;
    this.changed();
  }

  /** Consul reaps tombstones after a while; a prefix read's index can then go backwards. */
  reapTombstones(): void {
    this.tombstones.clear();
    this.changed();
  }

  // ---- sessions ----

  createSession(fields: Omit<SessionRecord, 'ID' | 'CreateIndex' | 'ModifyIndex'>): SessionRecord {
    const index = this.commit();
    const session: SessionRecord = { ...fields, ID: randomUUID(), CreateIndex: index, ModifyIndex: index };
    this.sessions.set(session.ID, session);
    this.sessionsIndex = index;
    this.arm(session);
    this.changed();
    return session;
  }

  /** Renew resets the TTL; undefined if the session is gone. */
  renewSession(id: string): SessionRecord | undefined {
    const session = this.sessions.get(id);
    if (session) this.arm(session);
    return session;
  }

  /**
   * Invalidation (destroy, TTL expiry): every key the session holds is
   * released or deleted per its behaviour, and blocked from re-acquisition
   * for its lock-delay.
   */
  invalidate(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    const index = this.commit();
    this.expiries.get(id)?.unsubscribe();
    this.expiries.delete(id);
    this.sessions.delete(id);
    this.sessionsIndex = index;
    const delayMs = session.LockDelay / 1e6;
    const now = this.scheduler.now();
    const held = [...this.kv.values()].filter((e) => e.Session === id);
    for (const entry of held) {
      if (delayMs > 0) this.lockDelays.set(entry.Key, now + delayMs);
      if (session.Behavior === 'delete') {
        this.kv.delete(entry.Key);
        this.tombstones.set(entry.Key, index);
      } else {
        entry.Session = undefined;
        entry.ModifyIndex = index;
      }
    }
    if (held.length > 0) this.kvIndex = index;
    this.changed();
    return true;
  }

  /** TTL timers run on the leader only: a new leader (a restart) starts each one afresh. */
  rearmAll(): void {
    this.lockDelays.clear();
    for (const session of this.sessions.values()) this.arm(session);
  }

  stopTimers(): void {
    for (const expiry of this.expiries.values()) expiry.unsubscribe();
    this.expiries.clear();
  }

  private arm(session: SessionRecord): void {
    if (session.ttlMs <= 0) return;
    this.expiries.get(session.ID)?.unsubscribe();
    this.expiries.set(
      session.ID,
      this.scheduler.schedule(() => this.invalidate(session.ID), session.ttlMs * this.ttlMultiplier),
    );
  }
}
