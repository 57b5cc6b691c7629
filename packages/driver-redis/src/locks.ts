import {
  HoldRegistry,
  type LockBackend,
  type LockChange,
  type LockHandle,
  type LockHolder,
  type LockKey,
  type LockOptions,
  LossSignal,
  SharedWatches,
  type TryAcquireResult,
} from '@tooz/core/driver';
import { filter, map, merge, type Observable } from 'rxjs';
import { ReturnCode } from './codes.js';
import { EarlyLosses } from './early-losses.js';
import { codeError } from './errors.js';
import { fenceKey } from './keys.js';
import { decodeLockEvent } from './messages.js';
import type { RedisSettings } from './options.js';
import type { RedisSessionContext } from './session.js';

/**
 * One hold of a lock: its key, the exact value this acquire wrote, and (in
 * lockMode 'tooz') Python tooz's keys for the same lock, which hold that
 * value too.
 */
export class RedisLockHandle implements LockHandle {
  readonly loss = new LossSignal();

  constructor(
    readonly key: string,
    readonly token: bigint,
    readonly tokenText: string,
    readonly value: string,
    readonly toozKeys: readonly string[] = NO_KEYS,
  ) {
    this.allKeys = toozKeys.length === 0 ? [key] : [key, ...toozKeys];
  }

  /** Every key this hold wrote, its own first. */
  readonly allKeys: readonly string[];

  get lost$() {
    return this.loss.lost$;
  }
}

const NO_KEYS: readonly string[] = [];

/** Retry hint when the holder's key never expires (a client that set no TTL). */
const NO_EXPIRY_RETRY = 1_000;

/**
 * Retry hint when Python tooz holds the lock: it publishes nothing when it
 * lets go, so a waiter looks again this often. redis-py's own blocking
 * acquire (what a Python waiter does) polls every 100 ms too.
 */
const FOREIGN_HOLDER_POLL = 100;

const RESYNC: LockChange = { type: 'resync' };

/** The value a hold writes: its token, then who holds it (holder() and leader$ read it back). */
function parseValue(value: string): LockHolder {
  const colon = value.indexOf(':');
  // A value without one was written by Python tooz (a uuid): held, by someone unnamed.
  if (colon < 0) return { memberId: '', token: 0n };
  const token = value.slice(0, colon);
  return { memberId: value.slice(colon + 1), token: /^\d+$/.test(token) ? BigInt(token) : 0n };
}

/**
 * Locks and leader seats: one script per operation, so every step is atomic
 * on the server; waiters are woken by the release script's publication, or,
 * when Python tooz holds the lock (it publishes nothing), look again every
 * FOREIGN_HOLDER_POLL ms.
 */
export class RedisLocks implements LockBackend<RedisLockHandle> {
  private readonly holds = new HoldRegistry<RedisLockHandle>();
  /** A break published right behind a grant may be read before the grant is handled: kept for the handle. */
  private readonly early = new EarlyLosses();
  private readonly watches: SharedWatches<string, LockChange>;

  constructor(
    private readonly session: RedisSessionContext,
    private readonly settings: Pick<RedisSettings, 'fenceRetention' | 'lockMode'>,
  ) {
    this.watches = new SharedWatches((channel) =>
      merge(
        session.channels.messages(channel).pipe(
          map(decodeLockEvent),
          filter((change) => change !== undefined),
        ),
        session.recovered$.pipe(map(() => RESYNC)),
      ),
    );
  }

  /** Python tooz's keys for the lock, which a hold takes too in lockMode 'tooz'. */
  private toozKeys(key: LockKey): readonly string[] {
    return this.settings.lockMode === 'tooz' ? this.session.keys.toozLockKeys(key) : NO_KEYS;
  }

  async tryAcquire(key: LockKey, { ttl }: LockOptions): Promise<TryAcquireResult<RedisLockHandle>> {
    const { commands, scripts, keys, memberId } = this.session;
    const lockKey = keys.lock(key);
    const toozKeys = this.toozKeys(key);
    const px = Math.ceil(ttl);
    const scriptKeys = toozKeys.length === 0 ? [lockKey, fenceKey(lockKey)] : [lockKey, fenceKey(lockKey), ...toozKeys];
    const args = [memberId, px, px + Math.ceil(this.settings.fenceRetention)];
    const grant = this.early.expect(lockKey);
    try {
      // Without waitReplicas (the usual case) one promise fewer per acquire.
      if (!commands.replicates)
        return this.acquired(lockKey, toozKeys, await commands.script(scripts.acquire, scriptKeys, args));
      const { reply, replicated, replicas } = await commands.replicatedScript(scripts.acquire, scriptKeys, args);
      const result = this.acquired(lockKey, toozKeys, reply);
      if (replicated || !result.acquired) return result;
      // Not safe to report held: give it back; core retries unless the server lacks the replicas.
      this.release(key, result.handle).catch(() => undefined);
      throw await commands.notReplicated('acquire', replicas, true);
    } finally {
      this.early.done(grant);
    }
  }

  private acquired(
    lockKey: string,
    toozKeys: readonly string[],
    [code, detail, foreign]: unknown[],
  ): TryAcquireResult<RedisLockHandle> {
    if (code === ReturnCode.LOCK_HELD) {
      const pttl = Number(detail);
      // Holders of this driver publish their release; Python tooz's do not, so look again soon.
      if (Number(foreign) === 1)
        return { acquired: false, retryAfter: pttl >= 0 ? Math.min(pttl, FOREIGN_HOLDER_POLL) : FOREIGN_HOLDER_POLL };
      return { acquired: false, retryAfter: pttl >= 0 ? pttl : NO_EXPIRY_RETRY };
    }
    if (code !== ReturnCode.OK) throw codeError(code, {}, this.session.scripts.acquire.name);
    const tokenText = String(detail);
    const value = `${tokenText}:${this.session.memberId}`;
    const handle = new RedisLockHandle(lockKey, BigInt(tokenText), tokenText, value, toozKeys);
    if (this.early.take(lockKey, tokenText)) handle.loss.stolen();
    else this.holds.add(handle);
    return { acquired: true, handle };
  }

  async release(_key: LockKey, handle: RedisLockHandle): Promise<boolean> {
    this.holds.take(handle);
    const [code] = await this.session.commands.script(this.session.scripts.release, handle.allKeys, [handle.value]);
    return code === ReturnCode.OK;
  }

  async refresh(_key: LockKey, handle: RedisLockHandle, { ttl }: LockOptions): Promise<boolean> {
    const px = Math.ceil(ttl);
    const { reply, replicated, replicas } = await this.session.commands.replicatedScript(
      this.session.scripts.refresh,
      [handle.key, fenceKey(handle.key), ...handle.toozKeys],
      [handle.value, px, px + Math.ceil(this.settings.fenceRetention)],
    );
    if (reply[0] !== ReturnCode.OK) {
      this.holds.take(handle);
      return false;
    }
    // Extended on the primary only: not a confirmation core may count on.
    if (!replicated) throw await this.session.commands.notReplicated('refresh', replicas, false);
    return true;
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const values = await this.session.commands.mget([this.session.keys.lock(key), ...this.toozKeys(key)]);
    const value = values.find((v) => v !== null);
    return value === undefined || value === null ? null : parseValue(value);
  }

  changes(key: LockKey): Observable<LockChange> {
    return this.watches.get(this.session.keys.lock(key));
  }

  async forceRelease(key: LockKey): Promise<boolean> {
    const { commands, scripts, keys } = this.session;
    const [code] = await commands.script(
      scripts.forceRelease,
      [keys.lock(key), ...this.toozKeys(key)],
      [keys.inboxPrefix],
    );
    return code === ReturnCode.OK;
  }

  /** The member's inbox says the hold `token` of `lockKey` was broken. */
  broken(lockKey: string, token: string): void {
    const handle = [...this.holds.values()].find((h) => h.key === lockKey && h.tokenText === token);
    if (!handle) return this.early.note(lockKey, token);
    this.holds.take(handle);
    handle.loss.stolen();
  }

  /** Reads every hold back; those the server no longer has (a restart, a failover) are lost. */
  async verify(): Promise<void> {
    const held = [...this.holds.values()];
    const values = await Promise.all(held.map((handle) => this.session.commands.mget(handle.allKeys)));
    held.forEach((handle, i) => {
      if (values[i]?.every((value) => value === handle.value) || !this.holds.take(handle)) return;
      handle.loss.expired(new Error('The lock was no longer on the server when the connection came back'));
    });
  }
}
