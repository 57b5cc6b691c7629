import {
  ConnectionError,
  type LockBackend,
  type LockChange,
  type LockHandle,
  type LockHolder,
  type LockKey,
  type TryAcquireResult,
} from '@tooz/core';
import { Observable } from 'rxjs';
import type { Channels } from './channels.js';
import { ReturnCode } from './codes.js';
import type { Commands } from './commands.js';
import { codeError } from './errors.js';
import { RedisLockHandle, type Holds } from './holds.js';
import type { LockMode } from './options.js';
import { fenceKey, type KeyLayout } from './keys.js';
import { decodeLockEvent } from './messages.js';
import type { Scripts } from './scripts.js';

export interface LockSettings {
  readonly memberId: string;
  /** How long a fence key outlives the last hold of its lock. */
  readonly fenceRetention: number;
  /** 'tooz': every hold also takes the keys Python tooz 3.1.0 and 9.x use for the same lock. */
  readonly lockMode: LockMode;
}

/** Retry hint when the holder's key never expires (a client that set no TTL). */
const NO_EXPIRY_RETRY = 1_000;

/**
 * Retry hint when Python tooz holds the lock: it publishes nothing when it
 * lets go, so a waiter looks again this often. redis-py's own blocking
 * acquire (what a Python waiter does) polls every 100 ms too.
 */
export const FOREIGN_HOLDER_POLL = 100;

const notReplicated = (replicas: number) =>
  new ConnectionError(`Redis WAIT: only ${replicas} replica(s) acknowledged the hold in time`);

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
export class RedisLocks implements LockBackend {
  constructor(
    private readonly commands: Commands,
    private readonly scripts: Scripts,
    private readonly keys: KeyLayout,
    private readonly channels: Channels,
    private readonly holds: Holds,
    private readonly settings: LockSettings,
    private readonly recovered$: Observable<void>,
  ) {}

  /** Python tooz's keys for the lock, which a hold takes too in lockMode 'tooz'. */
  private toozKeys(key: LockKey): string[] {
    return this.settings.lockMode === 'tooz' ? this.keys.toozLockKeys(key) : [];
  }

  tryAcquire(key: LockKey, { ttl }: { ttl: number }): Promise<TryAcquireResult> {
    const lockKey = this.keys.lock(key);
    const toozKeys = this.toozKeys(key);
    const px = Math.ceil(ttl);
    const keys = [lockKey, fenceKey(lockKey), ...toozKeys];
    const args = [this.settings.memberId, px, px + this.settings.fenceRetention];
    const { commands, scripts } = this;
    // A break published right behind the grant may be read before the grant is handled: keep it for the handle.
    const handled = this.holds.expecting(lockKey);
    if (!commands.replicating) {
      return commands
        .script(scripts.acquire, keys, args)
        .then((reply) => this.acquired(lockKey, toozKeys, reply))
        .finally(handled);
    }
    return commands
      .replicatedScript(scripts.acquire, keys, args)
      .then(({ reply, replicated, replicas }) => {
        const result = this.acquired(lockKey, toozKeys, reply);
        if (replicated || !result.acquired) return result;
        // Not safe to report held: give it back, and let core retry.
        const handle = result.handle as RedisLockHandle;
        this.holds.removeLock(handle);
        this.releaseHandle(handle).catch(() => undefined);
        throw notReplicated(replicas);
      })
      .finally(handled);
  }

  private acquired(lockKey: string, toozKeys: readonly string[], [code, detail, foreign]: unknown[]): TryAcquireResult {
    if (code === ReturnCode.LOCK_HELD) {
      const pttl = Number(detail);
      // Holders of this driver publish their release; Python tooz's do not, so look again soon.
      if (Number(foreign) === 1)
        return { acquired: false, retryAfter: pttl >= 0 ? Math.min(pttl, FOREIGN_HOLDER_POLL) : FOREIGN_HOLDER_POLL };
      return { acquired: false, retryAfter: pttl >= 0 ? pttl : NO_EXPIRY_RETRY };
    }
    if (code !== ReturnCode.OK) throw codeError(code, {}, this.scripts.acquire.name);
    const tokenText = String(detail);
    const handle = new RedisLockHandle(
      lockKey,
      BigInt(tokenText),
      tokenText,
      `${tokenText}:${this.settings.memberId}`,
      toozKeys,
    );
    this.holds.addLock(handle);
    return { acquired: true, handle };
  }

  release(_key: LockKey, handle: LockHandle): Promise<boolean> {
    const hold = handle as RedisLockHandle;
    this.holds.removeLock(hold);
    return this.releaseHandle(hold);
  }

  refresh(_key: LockKey, handle: LockHandle, { ttl }: { ttl: number }): Promise<boolean> {
    const hold = handle as RedisLockHandle;
    const px = Math.ceil(ttl);
    const keys = [hold.key, fenceKey(hold.key), ...hold.toozKeys];
    const args = [hold.value, px, px + this.settings.fenceRetention];
    const stillOurs = (reply: unknown[]) => {
      if (reply[0] === ReturnCode.OK) return true;
      this.holds.removeLock(hold);
      return false;
    };
    if (!this.commands.replicating) {
      return this.commands.script(this.scripts.refresh, keys, args).then(stillOurs);
    }
    return this.commands.replicatedScript(this.scripts.refresh, keys, args).then(({ reply, replicated, replicas }) => {
      const ours = stillOurs(reply);
      // Extended on the primary only: not a confirmation core may count on.
      if (ours && !replicated) throw notReplicated(replicas);
      return ours;
    });
  }

  holder(key: LockKey): Promise<LockHolder | null> {
    const toozKeys = this.toozKeys(key);
    if (toozKeys.length === 0) {
      return this.commands.get(this.keys.lock(key)).then((value) => (value === null ? null : parseValue(value)));
    }
    return this.commands.mget([this.keys.lock(key), ...toozKeys]).then((values) => {
      const value = values.find((v) => v !== null);
      return value === undefined || value === null ? null : parseValue(value);
    });
  }

  changes(key: LockKey): Observable<LockChange> {
    const channel = this.keys.lock(key);
    return new Observable<LockChange>((subscriber) => {
      const stop = this.channels.listen(channel, (payload) => {
        const change = decodeLockEvent(payload);
        if (change) subscriber.next(change);
      });
      const resync = this.recovered$.subscribe(() => subscriber.next({ type: 'resync' }));
      return () => {
        stop();
        resync.unsubscribe();
      };
    });
  }

  forceRelease(key: LockKey): Promise<boolean> {
    return this.commands
      .script(this.scripts.forceRelease, [this.keys.lock(key), ...this.toozKeys(key)], [this.keys.inboxPrefix])
      .then((reply) => reply[0] === ReturnCode.OK);
  }

  private releaseHandle(handle: RedisLockHandle): Promise<boolean> {
    return this.commands
      .script(this.scripts.release, handle.allKeys, [handle.value])
      .then((reply) => reply[0] === ReturnCode.OK);
  }
}
