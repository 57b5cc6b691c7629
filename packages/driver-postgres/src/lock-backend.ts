import type { LockBackend, LockChange, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import type { Observable } from 'rxjs';
import type { Row } from './connection.js';
import { notConnected } from './errors.js';
import type { PgLockHandle } from './holds.js';
import { advisoryKey, NameCache, toozAdvisoryKey, toozKeyId } from './keys.js';
import { acquiredPayload, b64, type LockKindCode, lockTopic, releasedPayload } from './payload.js';
import type { PostgresSession } from './session.js';

const noop = () => undefined;

/** Everything derived from one lock name, computed once. */
interface LockName {
  readonly name: Buffer;
  readonly lockKey: string;
  readonly releasedPayload: string;
  readonly acquiredPayload: string;
  readonly topic: string;
  /** `lockMode: 'tooz'`, locks only: Python tooz's key for the name, held beside the driver's own. */
  readonly tooz: PgLockHandle['tooz'];
}

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
export function lockBackend(session: PostgresSession): LockBackend {
  const { context, holds, sql, channel, topics } = session;
  const names = new NameCache<LockName>();
  // `kind` never holds ':', so the cache key is unambiguous whatever the name holds.
  const describe = (key: LockKey): LockName =>
    names.get(`${key.kind}:${key.name}`, () => {
      const kind: LockKindCode = key.kind === 'leader' ? 'e' : 'l';
      const name64 = b64(key.name);
      const toozKey = session.lockMode === 'tooz' && key.kind === 'lock' ? toozAdvisoryKey(key.name) : undefined;
      return {
        tooz: toozKey && { key: toozKey, id: toozKeyId(toozKey) },
        name: Buffer.from(name64, 'base64'),
        lockKey: advisoryKey(context.namespace, key.kind, key.name).toString(),
        releasedPayload: releasedPayload(kind, name64),
        acquiredPayload: acquiredPayload(kind, name64, session.member64),
        topic: lockTopic(kind, name64),
      };
    });

  return {
    async tryAcquire(key: LockKey): Promise<TryAcquireResult> {
      const described = describe(key);
      const { lockKey, tooz } = described;
      const connection = session.sessionConnection();
      const generation = holds.generation;
      let rows: Row[];
      try {
        if (key.kind === 'leader') {
          rows = await connection.query(sql.acquireSeat, [
            key.kind,
            described.name,
            lockKey,
            session.memberBytes,
            channel,
            described.acquiredPayload,
          ]);
        } else if (tooz) {
          rows = await connection.query(sql.acquireToozLock, [
            key.kind,
            described.name,
            lockKey,
            session.memberBytes,
            ...tooz.key,
          ]);
        } else {
          rows = await connection.query(sql.acquireLock, [key.kind, described.name, lockKey, session.memberBytes]);
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
      // Taken on a session that has ended since: it is not held, whatever the answer said.
      if (holds.generation !== generation) throw notConnected('session');
      const row = rows[0];
      if (!row) {
        topics.refused(described.topic);
        return { acquired: false };
      }
      const handle: PgLockHandle = {
        token: BigInt(row.token as string),
        generation,
        lockKey,
        releasedPayload: described.releasedPayload,
        ...(tooz ? { tooz } : {}),
      };
      holds.addLock(handle);
      return { acquired: true, handle };
    },

    async release(_key, handle): Promise<boolean> {
      const hold = handle as PgLockHandle;
      // Not this session's (it ended, and the lock with it) or already released.
      if (!holds.startRelease(hold)) return false;
      const connection = session.sessionConnection();
      try {
        const [row] = hold.tooz
          ? await connection.query(sql.releaseTooz, [hold.lockKey, channel, hold.releasedPayload, ...hold.tooz.key])
          : await connection.query(sql.release, [hold.lockKey, channel, hold.releasedPayload]);
        return row?.released === true;
      } catch (error) {
        // Whether the unlock ran is unknown: ending the session guarantees nothing outlives its owner.
        connection.destroy(error);
        throw error;
      } finally {
        holds.endRelease(hold);
      }
    },

    async holder(key: LockKey): Promise<LockHolder | null> {
      const { name, tooz } = describe(key);
      if (!tooz) {
        const [row] = await session.readConnection().query(sql.holder, [key.kind, name]);
        if (!row) return null;
        return { memberId: (row.holder as Buffer).toString('utf8'), token: BigInt(row.token as string) };
      }
      const rows = await session.readConnection().query(sql.toozHolder, [key.kind, name, ...tooz.key]);
      const ours = rows.find((row) => row.holder);
      if (ours) return { memberId: (ours.holder as Buffer).toString('utf8'), token: BigInt(ours.token as string) };
      // Held under tooz's key only: a Python tooz process (or a name sharing the key), named by its server pid.
      const other = rows[0];
      return other ? { memberId: `advisory-lock:pid=${String(other.pid)}`, token: 0n } : null;
    },

    changes(key: LockKey): Observable<LockChange> {
      const { topic, lockKey, tooz } = describe(key);
      return topics.lockChanges(topic, lockKey, tooz?.id);
    },
  };
}
