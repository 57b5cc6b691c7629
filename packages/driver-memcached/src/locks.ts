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
 * starts CAS again but at a later start time (a run grants no token before
 * it has lived into its second wall-clock second, see `matureRun`, and no
 * server stores 2^32 items a second), so tokens keep rising across it.
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
  /** `<member>\0` and 8 random hex digits of this session; each acquire adds 8 hex digits of a counter. */
  private readonly ownerPrefix: string;
  private acquires = 0;

  constructor(
    private readonly session: MemcachedSession,
    private readonly keys: MemcachedKeys,
    memberId: string,
  ) {
    this.ownerPrefix = `${memberId}\0${randomBytes(4).toString('hex')}`;
  }

  async tryAcquire(key: LockKey, { ttl }: LockOptions): Promise<TryAcquireResult<MemcachedLockHandle>> {
    const memcachedKey = this.keys.lock(key);
    this.acquires = (this.acquires + 1) % 2 ** 32;
    const owner = Buffer.from(this.ownerPrefix + this.acquires.toString(16).padStart(8, '0'));
    if (!this.session.matured) await this.session.matureRun();
    // Read with no await before the send: the run that answers this add.
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
    const { memberId, token } = parseValue(reply.data);
    return { memberId, token: token ?? tokenOf(run, BigInt(reply.flags.get('c') ?? '0')) };
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

/** Hex characters of the nonce after the member id. */
const NONCE_CHARS = 16;
const NONCE = /^[0-9a-f]{16}$/;

/**
 * The holder in a lock value: `<member>\0<nonce>[\0<token>]`, read from the
 * end as a member id may hold NULs itself; any other value is a Python
 * tooz holder's bare member id.
 */
function parseValue(value: Buffer): { memberId: string; token: bigint | undefined } {
  const text = value.toString('latin1');
  const owned = (end: number) =>
    end >= NONCE_CHARS + 1 && text[end - NONCE_CHARS - 1] === '\0' && NONCE.test(text.slice(end - NONCE_CHARS, end));
  const member = (end: number) => value.toString('utf8', 0, end - NONCE_CHARS - 1);
  const last = text.lastIndexOf('\0');
  if (last > 0 && /^\d+$/.test(text.slice(last + 1)) && owned(last)) {
    return { memberId: member(last), token: BigInt(text.slice(last + 1)) };
  }
  if (owned(text.length)) return { memberId: member(text.length), token: undefined };
  return { memberId: value.toString('utf8'), token: undefined };
}
