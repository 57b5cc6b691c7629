import type { LockBackend, LockChange, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import { HoldRegistry } from '@tooz/core/driver';
import { concatMap, filter, type Observable } from 'rxjs';
import { retryInBackground } from './background.js';
import { HoldWatch } from './hold-watch.js';
import { kvPath } from './keys.js';
import { decodeValue, type KvEntry, readKv } from './kv-watch.js';
import type { ConsulContext } from './session.js';

/** A lock or leader seat held by one of this coordinator's Consul sessions. */
export interface ConsulLockHandle extends LockHandle {
  /** The lock's KV key. */
  readonly key: string;
  /** The Consul session id that holds the key. */
  readonly session: string;
  /** Reports the hold lost when a blocking query sees the key gone or taken. */
  readonly watch: HoldWatch;
}

/** How long to wait before trying again a key that is free but refused us: another client's lock-delay. */
const LOCK_DELAY_RETRY_MS = 1_000;
/** The value Python tooz 3.1.0 writes into a lock it takes; its session's Name is its member id. */
const TOOZ_LOCK_VALUE = 'I got it!';

/**
 * Locks and leader seats: a KV key acquired (`?acquire=`) with the
 * coordinator's `release`-behaviour session, released with `?release=`.
 * The fencing token is the ModifyIndex the acquire wrote: a Raft index,
 * which rises with every write of the datacenter, so it keeps rising when
 * the key is deleted and made again (where LockIndex starts over at 1).
 * Consul lets a session acquire a key it already holds; this driver does
 * not, so two holders in one coordinator stay two owners.
 */
export class ConsulLocks implements LockBackend<ConsulLockHandle> {
  private readonly holds = new HoldRegistry<ConsulLockHandle>();
  /** Keys with an acquire in flight: the next one on the key waits for it (it may be a hold given back). */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: ConsulContext) {
    ctx.lease.replaced$.subscribe(() => {
      for (const handle of this.holds.bury()) handle.watch.stop();
    });
  }

  async tryAcquire(key: LockKey): Promise<TryAcquireResult<ConsulLockHandle>> {
    const path = this.ctx.keys.lock(key);
    const before = this.pending.get(path);
    const attempt = (async () => {
      await before?.catch(() => undefined);
      return this.attempt(path);
    })();
    this.pending.set(path, attempt);
    try {
      return await attempt;
    } finally {
      if (this.pending.get(path) === attempt) this.pending.delete(path);
    }
  }

  private async attempt(path: string): Promise<TryAcquireResult<ConsulLockHandle>> {
    const { api, lease, memberId } = this.ctx;
    if ([...this.holds.values()].some((h) => h.key === path)) return { acquired: false };
    const generation = this.holds.generation;
    const session = lease.sessions.holds;
    const watch = new HoldWatch(this.ctx.watch(path, false));
    try {
      const acquired = await api.json<boolean>('PUT', kvPath(path), 'lock acquire', {
        query: { acquire: session },
        body: memberId,
      });
      const { entries } = await readKv(api, path, false, 'lock acquire');
      const entry = entries[0];
      if (!acquired || entry?.Session !== session) {
        watch.stop();
        // Free yet refused: another client's session left a lock-delay on it, and no push will say when it ends.
        return entry?.Session === undefined
          ? { acquired: false, retryAfter: LOCK_DELAY_RETRY_MS }
          : { acquired: false };
      }
      const handle: ConsulLockHandle = {
        token: BigInt(entry.ModifyIndex),
        key: path,
        session,
        watch,
        lost$: watch.lost$,
      };
      watch.arm(path, session, entry.ModifyIndex);
      if (!this.holds.add(handle, generation)) watch.stop();
      return { acquired: true, handle };
    } catch (error) {
      watch.stop();
      // The acquire may have landed with its answer lost: let go of it, or the key stays ours till the session ends.
      this.letGo(path, session);
      throw error;
    }
  }

  async release(_key: LockKey, handle: ConsulLockHandle): Promise<boolean> {
    handle.watch.stop();
    this.holds.take(handle);
    try {
      return await this.ctx.api.json<boolean>('PUT', kvPath(handle.key), 'lock release', {
        query: { release: handle.session },
        body: '',
      });
    } catch (error) {
      // The session keeps the key locked while it lives: the release must land, so it is retried in the background.
      this.letGo(handle.key, handle.session);
      throw error;
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const { entries } = await readKv(this.ctx.api, this.ctx.keys.lock(key), false, 'lock holder');
    const entry = entries[0];
    if (!entry?.Session) return null;
    return { memberId: await this.holderName(entry, entry.Session), token: BigInt(entry.ModifyIndex) };
  }

  /** Our value is the member id; Python tooz's is a constant, so its holder is named by its session's Name. */
  private async holderName(entry: KvEntry, session: string): Promise<string> {
    const value = decodeValue(entry).toString('utf8');
    if (value !== TOOZ_LOCK_VALUE) return value;
    const [info] = await this.ctx.api.json<Array<{ Name?: string }>>(
      'GET',
      `/v1/session/info/${session}`,
      'lock holder',
    );
    return info?.Name || value;
  }

  /**
   * Pushed by a blocking query on the key: `acquired`/`released` as its
   * Session comes and goes, `resync` after anything that may have hidden a
   * change (the first read, an error, an index gone backwards).
   */
  changes(key: LockKey): Observable<LockChange> {
    let previous: string | undefined;
    return this.ctx.watch(this.ctx.keys.lock(key), false).pipe(
      concatMap(async (snapshot): Promise<LockChange | undefined> => {
        const entry = snapshot.entries.get(this.ctx.keys.lock(key));
        const session = entry?.Session;
        const changed = session !== previous;
        previous = session;
        if (snapshot.fresh) return { type: 'resync' };
        if (!changed) return undefined;
        if (!entry || !session) return { type: 'released' };
        const holder = await this.holderName(entry, session).catch(() => decodeValue(entry).toString('utf8'));
        return { type: 'acquired', holder };
      }),
      filter((change): change is LockChange => change !== undefined),
    );
  }

  /** tooz's `break_`: deletes the key if someone holds it (only that hold: `cas` on its index). */
  async forceRelease(key: LockKey): Promise<boolean> {
    const path = this.ctx.keys.lock(key);
    const { entries } = await readKv(this.ctx.api, path, false, 'lock break');
    const entry = entries[0];
    if (!entry?.Session) return false;
    return this.ctx.api.json<boolean>('DELETE', kvPath(path), 'lock break', {
      query: { cas: String(entry.ModifyIndex) },
    });
  }

  /** A release sent again in the background; the next acquire of the key here waits for it (Consul would let our session re-take the key, and the late release would then free it). */
  private letGo(path: string, session: string): void {
    const done = retryInBackground(this.ctx, () =>
      this.ctx.api.request('PUT', kvPath(path), 'lock release', { query: { release: session }, body: '' }),
    );
    this.pending.set(path, done);
    void done.then(() => {
      if (this.pending.get(path) === done) this.pending.delete(path);
    });
  }
}
