import type { LockBackend, LockChange, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import type { Observable } from 'rxjs';
import { notConnected } from './errors.js';
import type { LockName } from './keys.js';
import type { Row } from './pg/connection.js';
import type { PostgresSession } from './session.js';

/** A hold of one advisory lock (or two, in `lockMode: 'tooz'`) by this coordinator's session. */
export interface PostgresLockHandle extends LockHandle {
  readonly lock: LockName;
}

const noop = () => undefined;

/**
 * Locks and leader seats as session-level advisory locks. An attempt is one
 * statement: `pg_try_advisory_lock` and, only when it succeeds, the per-name
 * fencing counter bumped in the same statement (a seat also notifies who
 * took it). A release unlocks and notifies in one statement; waiters retry
 * on the notice.
 *
 * `lockMode: 'tooz'`: a lock (not a seat: Python tooz's pgsql driver has no
 * election) is taken only if Python tooz's key for its name is taken in the
 * same statement, so Python tooz processes and this driver exclude each
 * other. The driver's own key is still taken too: it carries the holder
 * record, the fencing counter and the sweep's liveness checks, and keeps a
 * coordinator in the native mode out as well. The sweep watches the tooz key
 * of every awaited lock, since its holder may be Python (which sends no
 * notice) or another name sharing its 16 bits.
 */
export class PostgresLocks implements LockBackend<PostgresLockHandle> {
  constructor(private readonly session: PostgresSession) {}

  async tryAcquire(key: LockKey): Promise<TryAcquireResult<PostgresLockHandle>> {
    const { keys, holds, sql, topics } = this.session;
    const lock = keys.lock(key);
    const { lockKey, tooz } = lock;
    const connection = this.session.sessionConnection();
    const generation = holds.generation;
    let rows: Row[];
    try {
      if (key.kind === 'leader') {
        rows = await connection.query(sql.acquireSeat, [
          key.kind,
          lock.name,
          lockKey,
          keys.memberBytes,
          keys.channel,
          lock.acquiredPayload,
        ]);
      } else if (tooz) {
        rows = await connection.query(sql.acquireToozLock, [
          key.kind,
          lock.name,
          lockKey,
          keys.memberBytes,
          ...tooz.key,
        ]);
      } else {
        rows = await connection.query(sql.acquireLock, [key.kind, lock.name, lockKey, keys.memberBytes]);
      }
    } catch (error) {
      // A statement that failed after taking the lock would leave it held with no owner.
      if (connection.alive && holds.generation === generation) {
        if (holds.countOf(lockKey) === 0) connection.query(sql.unlockIfHeld, [lockKey]).catch(noop);
        if (tooz && holds.countOf(tooz.id) === 0) {
          connection.query(sql.unlockToozIfHeld, [...tooz.key]).catch(noop);
        } else if (tooz) {
          // The session holds this tooz key for another name too: whether the failed statement took it
          // once more cannot be told (advisory locks count, pg_locks does not show how often). Ending
          // the session guarantees nothing outlives its owner, as after a failed release.
          connection.destroy(error);
        }
      }
      throw error;
    }
    const row = rows[0];
    if (!row) {
      if (holds.generation !== generation) throw notConnected('session');
      topics.refused(lock.topic);
      return { acquired: false };
    }
    const handle: PostgresLockHandle = { token: BigInt(row.token as string), lock };
    // Taken on a session that has ended since: it is not held, whatever the answer said.
    if (!holds.add(handle, generation)) throw notConnected('session');
    return { acquired: true, handle };
  }

  async release(_key: LockKey, handle: PostgresLockHandle): Promise<boolean> {
    const { holds, sql, keys } = this.session;
    // Not this session's (it ended, and the lock with it) or already released.
    if (!holds.startRelease(handle)) return false;
    const { lockKey, tooz, releasedPayload } = handle.lock;
    const connection = this.session.sessionConnection();
    try {
      const [row] = tooz
        ? await connection.query(sql.releaseTooz, [lockKey, keys.channel, releasedPayload, ...tooz.key])
        : await connection.query(sql.release, [lockKey, keys.channel, releasedPayload]);
      return row?.released === true;
    } catch (error) {
      // Whether the unlock ran is unknown: ending the session guarantees nothing outlives its owner.
      connection.destroy(error);
      throw error;
    } finally {
      holds.endRelease(handle);
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const { keys, sql } = this.session;
    const { name, tooz } = keys.lock(key);
    const connection = this.session.readConnection();
    if (!tooz) {
      const [row] = await connection.query(sql.holder, [key.kind, name]);
      return row ? holderOf(row) : null;
    }
    const rows = await connection.query(sql.toozHolder, [key.kind, name, ...tooz.key]);
    const ours = rows.find((row) => row.holder);
    if (ours) return holderOf(ours);
    // Held under tooz's key only: a Python tooz process (or a name sharing the key), named by its server pid.
    const other = rows[0];
    return other ? { memberId: `advisory-lock:pid=${String(other.pid)}`, token: 0n } : null;
  }

  changes(key: LockKey): Observable<LockChange> {
    return this.session.topics.lockChanges(this.session.keys.lock(key).topic);
  }
}

const holderOf = (row: Row): LockHolder => ({
  memberId: (row.holder as Buffer).toString('utf8'),
  token: BigInt(row.token as string),
});
