import { randomBytes } from 'node:crypto';
import type {
  LockBackend,
  LockChange,
  LockHandle,
  LockHolder,
  LockKey,
  LockOptions,
  TryAcquireResult,
} from '@tooz/core/driver';
import { EMPTY, type Observable } from 'rxjs';
import { unexpected } from './errors.js';
import type { MemcachedKeys } from './keys.js';
import { casFrom, OwnedKey } from './owned-key.js';
import { metaDelete, metaGet, metaSet } from './protocol/meta.js';
import type { MemcachedSession, ServerRun } from './session.js';

/** One hold: its key, owned through a value prefix (`<member id>\0<nonce>`) no one else writes. */
export interface MemcachedLockHandle extends LockHandle {
  /** Never equal to a Python tooz holder's value (its bare member id). */
  readonly held: OwnedKey;
}

/**
 * The fencing token: the CAS memcached gave the key when it was added, above
 * the server process's start time. CAS values rise with every store on one
 * server process, so a later holder's add has a higher one; a restart
 * starts CAS again but at a later start time (at least a second later, and
 * no server stores 2^32 items a second), so tokens keep rising across it.
 */
export function tokenOf(run: ServerRun, cas: bigint): bigint {
  return (BigInt(run.startedAt) << 32n) + cas;
}

const SEPARATOR = 0;

/**
 * Locks on memcached, compare-and-set only: `ms … ME` (add) to acquire, and
 * every refresh and release conditional on the holder's CAS (`OwnedKey`),
 * so a holder whose key expired and was taken by someone else can never
 * touch the new holder's key (Python tooz deletes blindly). No push: core
 * polls waiting locks and `leader$`.
 */
export class MemcachedLocks implements LockBackend<MemcachedLockHandle> {
  constructor(
    private readonly session: MemcachedSession,
    private readonly keys: MemcachedKeys,
    private readonly memberId: string,
  ) {}

  async tryAcquire(key: LockKey, { ttl }: LockOptions): Promise<TryAcquireResult<MemcachedLockHandle>> {
    const memcachedKey = this.keys.lock(key);
    const owner = Buffer.concat([
      Buffer.from(this.memberId),
      Buffer.from([SEPARATOR]),
      Buffer.from(randomBytes(8).toString('hex')),
    ]);
    const run = this.session.run;
    const reply = await this.session.send(metaSet(memcachedKey, owner, { mode: 'E', ttl }));
    if (reply.kind === 'status' && reply.code === 'NS') return { acquired: false };
    const cas = casFrom(reply, 'lock acquire');
    return {
      acquired: true,
      handle: { held: new OwnedKey(this.session, memcachedKey, owner, cas), token: tokenOf(run, cas) },
    };
  }

  async refresh(_key: LockKey, handle: MemcachedLockHandle, { ttl }: LockOptions): Promise<boolean> {
    // The token goes into the value, as the CAS that made it changes with this write.
    const value = Buffer.concat([handle.held.owner, Buffer.from([SEPARATOR]), Buffer.from(String(handle.token))]);
    return handle.held.write(value, ttl, 'lock refresh');
  }

  async release(_key: LockKey, handle: MemcachedLockHandle): Promise<boolean> {
    return handle.held.delete('lock release');
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const run = this.session.run;
    const reply = await this.session.send(metaGet(this.keys.lock(key)));
    if (reply.kind === 'status' && reply.code === 'EN') return null;
    if (reply.kind !== 'value') throw unexpected(reply, 'lock holder');
    const [memberId, , token] = split(reply.data);
    const cas = BigInt(reply.flags.get('c') ?? '0');
    return { memberId: memberId ?? '', token: token ? BigInt(token) : tokenOf(run, cas) };
  }

  async forceRelease(key: LockKey): Promise<boolean> {
    const reply = await this.session.send(metaDelete(this.keys.lock(key)));
    if (reply.kind === 'status' && reply.code === 'HD') return true;
    if (reply.kind === 'status' && reply.code === 'NF') return false;
    throw unexpected(reply, 'lock break');
  }

  changes(_key: LockKey): Observable<LockChange> {
    return EMPTY;
  }
}

/** `<member>\0<nonce>[\0<token>]`; a Python tooz holder's value is its bare member id. */
function split(value: Buffer): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || value[i] === SEPARATOR) {
      parts.push(value.toString('utf8', start, i));
      start = i + 1;
    }
  }
  return parts;
}
