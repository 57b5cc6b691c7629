import type { LockBackend, LockChange, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import { HoldRegistry, sleep } from '@tooz/core/driver';
import { filter, map, type Observable } from 'rxjs';
import { HoldWatch } from './hold-watch.js';
import { kvPath } from './keys.js';
import { decodeValue, type KvEntry, readKv } from './kv-watch.js';
import type { ConsulContext } from './session.js';

/** A lock or leader seat held by one of this coordinator's Consul sessions. */
export interface ConsulLockHandle extends LockHandle {
  readonly key: string;
  readonly session: string;
  readonly watch: HoldWatch;
}

/** How long to wait before trying again a key that is free but refused us: another client's lock-delay. */
const LOCK_DELAY_RETRY_MS = 1_000;

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
      void this.letGo(path, session);
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
      void this.letGo(handle.key, handle.session);
      throw error;
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const { entries } = await readKv(this.ctx.api, this.ctx.keys.lock(key), false, 'lock holder');
    return holderOf(entries[0]);
  }

  /**
   * Pushed by a blocking query on the key: `acquired`/`released` as its
   * Session comes and goes, `resync` after anything that may have hidden a
   * change (the first read, an error, an index gone backwards).
   */
  changes(key: LockKey): Observable<LockChange> {
    let previous: string | undefined;
    return this.ctx.watch(this.ctx.keys.lock(key), false).pipe(
      map((snapshot): LockChange | undefined => {
        const entry = snapshot.entries.get(this.ctx.keys.lock(key));
        const session = entry?.Session;
        const changed = session !== previous;
        previous = session;
        if (snapshot.fresh) return { type: 'resync' };
        if (!changed) return undefined;
        return session ? { type: 'acquired', holder: decodeValue(entry).toString('utf8') } : { type: 'released' };
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

  private async letGo(path: string, session: string): Promise<void> {
    const backoff = this.ctx.backoff();
    for (let attempt = 0; attempt < 8; attempt++) {
      await sleep(backoff.next(), this.ctx.scheduler);
      try {
        await this.ctx.api.request('PUT', kvPath(path), 'lock release', { query: { release: session }, body: '' });
        return;
      } catch {
        // The next attempt waits longer; a session that ends meanwhile unlocks the key anyway.
      }
    }
  }
}

function holderOf(entry: KvEntry | undefined): LockHolder | null {
  if (!entry?.Session) return null;
  return { memberId: decodeValue(entry).toString('utf8'), token: BigInt(entry.ModifyIndex) };
}
