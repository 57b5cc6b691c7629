import type { LockBackend, LockChange, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import type { Observable } from 'rxjs';
import type { Row } from './connection.js';
import { notConnected } from './errors.js';
import type { PgLockHandle } from './holds.js';
import { advisoryKey, NameCache } from './keys.js';
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
}

/**
 * Locks and leader seats as session-level advisory locks. An attempt is one
 * statement: `pg_try_advisory_lock` and, only when it succeeds, the per-name
 * fencing counter bumped in the same statement (a seat also notifies who
 * took it). A release unlocks and notifies in one statement; waiters retry
 * on the notice.
 */
export function lockBackend(session: PostgresSession): LockBackend {
  const { context, holds, sql, channel, topics } = session;
  const names = new NameCache<LockName>();
  // `kind` never holds ':', so the cache key is unambiguous whatever the name holds.
  const describe = (key: LockKey): LockName =>
    names.get(`${key.kind}:${key.name}`, () => {
      const kind: LockKindCode = key.kind === 'leader' ? 'e' : 'l';
      const name64 = b64(key.name);
      return {
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
      const { lockKey } = described;
      const connection = session.sessionConnection();
      const generation = holds.generation;
      let rows: Row[];
      try {
        rows =
          key.kind === 'leader'
            ? await connection.query(sql.acquireSeat, [
                key.kind,
                described.name,
                lockKey,
                session.memberBytes,
                channel,
                described.acquiredPayload,
              ])
            : await connection.query(sql.acquireLock, [key.kind, described.name, lockKey, session.memberBytes]);
      } catch (error) {
        // A statement that failed after taking the lock would leave it held with no owner.
        if (connection.alive && holds.generation === generation && holds.countOf(lockKey) === 0) {
          connection.query(sql.unlockIfHeld, [lockKey]).catch(noop);
        }
        throw error;
      }
      // Taken on a session that has ended since: it is not held, whatever the answer said.
      if (holds.generation !== generation) throw notConnected('session');
      const row = rows[0];
      if (!row) return { acquired: false };
      const handle: PgLockHandle = {
        token: BigInt(row.token as string),
        generation,
        lockKey,
        releasedPayload: described.releasedPayload,
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
        const [row] = await connection.query(sql.release, [hold.lockKey, channel, hold.releasedPayload]);
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
      const [row] = await session.readConnection().query(sql.holder, [key.kind, describe(key).name]);
      if (!row) return null;
      return { memberId: (row.holder as Buffer).toString('utf8'), token: BigInt(row.token as string) };
    },

    changes(key: LockKey): Observable<LockChange> {
      const { topic, lockKey } = describe(key);
      return topics.lockChanges(topic, lockKey);
    },
  };
}
