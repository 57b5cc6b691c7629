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
import { fenceKey, type KeyLayout } from './keys.js';
import { decodeLockEvent } from './messages.js';
import type { Scripts } from './scripts.js';

export interface LockSettings {
  readonly memberId: string;
  /** How long a fence key outlives the last hold of its lock. */
  readonly fenceRetention: number;
}

/** Retry hint when the holder's key never expires (a client that set no TTL). */
const NO_EXPIRY_RETRY = 1_000;

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
 * on the server; waiters are woken by the release script's publication.
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

  tryAcquire(key: LockKey, { ttl }: { ttl: number }): Promise<TryAcquireResult> {
    const lockKey = this.keys.lock(key);
    const px = Math.ceil(ttl);
    const keys = [lockKey, fenceKey(lockKey)];
    const args = [this.settings.memberId, px, px + this.settings.fenceRetention];
    const { commands, scripts } = this;
    // A break published right behind the grant may be read before the grant is handled: keep it for the handle.
    const handled = this.holds.expecting(lockKey);
    if (!commands.replicating) {
      return commands
        .script(scripts.acquire, keys, args)
        .then((reply) => this.acquired(lockKey, reply))
        .finally(handled);
    }
    return commands
      .replicatedScript(scripts.acquire, keys, args)
      .then(({ reply, replicated, replicas }) => {
        const result = this.acquired(lockKey, reply);
        if (replicated || !result.acquired) return result;
        // Not safe to report held: give it back, and let core retry.
        const handle = result.handle as RedisLockHandle;
        this.holds.removeLock(handle);
        this.releaseHandle(handle).catch(() => undefined);
        throw notReplicated(replicas);
      })
      .finally(handled);
  }

  private acquired(lockKey: string, [code, detail]: unknown[]): TryAcquireResult {
    if (code === ReturnCode.LOCK_HELD) {
      const pttl = Number(detail);
      return { acquired: false, retryAfter: pttl >= 0 ? pttl : NO_EXPIRY_RETRY };
    }
    if (code !== ReturnCode.OK) throw codeError(code, {}, this.scripts.acquire.name);
    const tokenText = String(detail);
    const handle = new RedisLockHandle(lockKey, BigInt(tokenText), tokenText, `${tokenText}:${this.settings.memberId}`);
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
    const keys = [hold.key, fenceKey(hold.key)];
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
    return this.commands.get(this.keys.lock(key)).then((value) => (value === null ? null : parseValue(value)));
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
      .script(this.scripts.forceRelease, [this.keys.lock(key)], [this.keys.inboxPrefix])
      .then((reply) => reply[0] === ReturnCode.OK);
  }

  private releaseHandle(handle: RedisLockHandle): Promise<boolean> {
    return this.commands
      .script(this.scripts.release, [handle.key], [handle.value])
      .then((reply) => reply[0] === ReturnCode.OK);
  }
}
