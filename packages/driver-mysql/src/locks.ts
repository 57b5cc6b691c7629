import {
  InvalidArgumentError,
  type LockBackend,
  type LockChange,
  type LockHandle,
  type LockHolder,
  type LockKey,
  type TryAcquireResult,
} from '@tooz/core/driver';
import { EMPTY, type Observable } from 'rxjs';
import type { MysqlConnection } from './connection.js';
import { isConnectionFailure, notConnected, toToozError } from './errors.js';
import type { MysqlSession } from './session.js';
import { ACQUIRE, acquireParams, HOLDER, RELEASE, RELEASE_IF_MINE } from './sql.js';

/** One GET_LOCK held by this coordinator's session. */
export interface MysqlLockHandle extends LockHandle {
  readonly lockName: string;
}

const sameBytes = (value: unknown, expected: Buffer): boolean => Buffer.isBuffer(value) && value.equals(expected);

/**
 * Locks and leader seats as GET_LOCKs of the session connection. An attempt
 * is one statement (GET_LOCK without waiting, and the fencing counter bumped
 * only when it said yes); a release is one RELEASE_LOCK. Nothing is pushed:
 * waiters and `leader$` re-read through core's polling.
 */
export class MysqlLocks implements LockBackend<MysqlLockHandle> {
  constructor(private readonly session: MysqlSession) {}

  async tryAcquire(key: LockKey): Promise<TryAcquireResult<MysqlLockHandle>> {
    const { keys, holds, memberBytes } = this.session;
    const lockName = keys.lockName(key);
    const { namespace, kind, name } = keys.identity(key);
    const connection = this.session.connection();
    const generation = holds.generation;
    let header: Awaited<ReturnType<MysqlConnection['write']>>;
    try {
      header = await connection.write(ACQUIRE, acquireParams(lockName, namespace, kind, name, memberBytes));
    } catch (error) {
      // The statement may have failed after GET_LOCK said yes: give the lock back rather than keep it ownerless.
      if (!isConnectionFailure(error)) void this.giveBack(connection, lockName, generation);
      throw toToozError(error, 'acquiring a lock');
    }
    // Taken on a session that has ended since: it is not held, whatever the answer said.
    if (holds.generation !== generation) throw notConnected();
    if (header.affectedRows === 0) return { acquired: false };
    const token = BigInt(header.insertId);
    if (token === 0n) {
      await this.giveBack(connection, lockName, generation);
      throw new InvalidArgumentError(
        'name',
        `"${key.name}" shares the server lock name ${lockName} with another lock: refused rather than excluding each other`,
      );
    }
    const handle: MysqlLockHandle = { token, lockName };
    holds.add(handle, generation);
    return { acquired: true, handle };
  }

  async release(_key: LockKey, handle: MysqlLockHandle): Promise<boolean> {
    // Not this session's (it ended, and the lock with it) or released already.
    if (!this.session.holds.take(handle)) return false;
    const connection = this.session.connection();
    try {
      const [row] = await connection.rows(RELEASE, [handle.lockName]);
      return Number(row?.released) === 1;
    } catch (error) {
      // Whether RELEASE_LOCK ran is unknown: ending the session guarantees nothing outlives its owner.
      connection.destroy(error);
      throw toToozError(error, 'releasing a lock');
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const { keys } = this.session;
    const lockName = keys.lockName(key);
    const { namespace, kind, name } = keys.identity(key);
    const [row] = await this.session.read((connection) => connection.rows(HOLDER, [lockName, lockName]));
    if (!row || row.now_conn === null) return null;
    const recorded =
      row.conn !== null &&
      String(row.conn) === String(row.now_conn) &&
      row.namespace === namespace &&
      row.kind === kind &&
      sameBytes(row.name, name);
    if (recorded) return { memberId: (row.holder as Buffer).toString('utf8'), token: BigInt(row.token as string) };
    // Held by a session that took the name some other way: a Python tooz process (lockMode 'tooz').
    return { memberId: `mysql-connection:${String(row.now_conn)}`, token: 0n };
  }

  /**
   * MySQL pushes nothing. A waiting lock is woken by a connection set aside
   * for waiting (waiters.ts); core also retries every poll interval, and
   * polls `holder()` for `leader$`. Leader seats are not waited on that way:
   * the instant the waiting connection holds a seat would show in `leader$`.
   */
  changes(key: LockKey): Observable<LockChange> {
    return key.kind === 'lock' ? this.session.waiters.changes(this.session.keys.lockName(key)) : EMPTY;
  }

  /** Releases a GET_LOCK taken for nobody; if that fails, ending the session is what frees it. */
  private async giveBack(connection: MysqlConnection, lockName: string, generation: number): Promise<void> {
    if (!connection.alive || this.session.holds.generation !== generation) return;
    for (const held of this.session.holds.values()) if ('lockName' in held && held.lockName === lockName) return;
    await connection.rows(RELEASE_IF_MINE, [lockName, lockName]).catch((error: unknown) => connection.destroy(error));
  }
}
