import { TABLES } from './keys.js';

/**
 * Every SQL statement of the driver, in one place. Values always travel as
 * parameters of prepared statements; the only text spliced in is the fixed
 * table names of keys.ts.
 *
 * Layout, in the connection's database:
 * - `tooz_locks`: one row per GET_LOCK name ever taken: who it stands for
 *   (namespace, kind, real name), the fencing counter, the holder's member id
 *   and server connection id. A row is current while `IS_USED_LOCK(name)` is
 *   that connection.
 * - `tooz_groups`, `tooz_members`: membership rows; a member is alive while
 *   the connection recorded in its row holds the member's GET_LOCK.
 *
 * Counters and join ids come back in the OK packet through
 * `LAST_INSERT_ID(expr)`, so an attempt is one statement and one round trip.
 */
const { locks, groups, members } = TABLES;

export const DDL = [
  `CREATE TABLE IF NOT EXISTS ${locks} (
    lock_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    namespace VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name VARBINARY(1024) NOT NULL,
    token BIGINT UNSIGNED NOT NULL,
    holder VARBINARY(1024) NOT NULL,
    conn BIGINT UNSIGNED NOT NULL,
    collisions INT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (lock_name)
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS ${groups} (
    namespace VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    group_hash BINARY(32) NOT NULL,
    group_id VARBINARY(1024) NOT NULL,
    PRIMARY KEY (namespace, group_hash)
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS ${members} (
    namespace VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    group_hash BINARY(32) NOT NULL,
    member_hash BINARY(32) NOT NULL,
    member_id VARBINARY(1024) NOT NULL,
    capabilities MEDIUMBLOB NOT NULL,
    lock_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    conn BIGINT UNSIGNED NOT NULL,
    join_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (namespace, group_hash, member_hash)
  ) ENGINE=InnoDB`,
];

/** How many of the driver's tables exist: 3 means nothing to create (a role without CREATE can run). */
export const TABLES_PRESENT = `SELECT COUNT(*) AS n FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('${locks}', '${groups}', '${members}')`;

/**
 * Takes the GET_LOCK only if this session does not hold it already (GET_LOCK
 * is re-entrant; a hold here is never), without waiting. CASE evaluates in order.
 */
const TAKE = '(CASE WHEN IS_USED_LOCK(?) IS NULL THEN GET_LOCK(?, 0) ELSE 0 END) = 1';
const SAME = 'namespace = ? AND kind = ? AND name = ?';

/**
 * One attempt and the fencing counter: a row only when GET_LOCK said yes.
 * OK packet: affectedRows 0 = refused; insertId = the new token; a row
 * changed with insertId 0 = the name's row stands for another lock (a hash
 * collision): the caller gives the GET_LOCK back and refuses the name.
 * Params: see `acquireParams`.
 */
export const ACQUIRE = `INSERT INTO ${locks} (lock_name, namespace, kind, name, token, holder, conn)
  SELECT ?, ?, ?, ?, LAST_INSERT_ID(1), ?, CONNECTION_ID() FROM DUAL WHERE ${TAKE}
  ON DUPLICATE KEY UPDATE
    token = IF(${SAME}, LAST_INSERT_ID(token + 1), token + 0 * LAST_INSERT_ID(0)),
    holder = IF(${SAME}, ?, holder),
    conn = IF(${SAME}, CONNECTION_ID(), conn),
    collisions = IF(${SAME}, collisions, collisions + 1)`;

export function acquireParams(lockName: string, namespace: string, kind: string, name: Buffer, holder: Buffer) {
  const same = [namespace, kind, name] as const;
  return [lockName, ...same, holder, lockName, lockName, ...same, ...same, holder, ...same, ...same];
}

export const RELEASE = 'SELECT RELEASE_LOCK(?) AS released';

/**
 * On a waiting connection: waits up to ? seconds for the lock, and gives it
 * straight back in the same statement (a SELECT list is evaluated in order).
 */
export const WAIT_FOR_RELEASE = 'SELECT GET_LOCK(?, ?) AS got, RELEASE_LOCK(?) AS released';

/** Gives back a GET_LOCK a failed attempt may have left with this session. */
export const RELEASE_IF_MINE = 'SELECT RELEASE_LOCK(?) AS released FROM DUAL WHERE IS_USED_LOCK(?) = CONNECTION_ID()';

/** The lock's current holder: the server's answer (IS_USED_LOCK) and the row recorded with it. */
export const HOLDER = `SELECT IS_USED_LOCK(?) AS now_conn, t.conn, t.holder, t.token, t.namespace, t.kind, t.name
  FROM (SELECT 1 AS one) d LEFT JOIN ${locks} t ON t.lock_name = ?`;

export const CREATE_GROUP = `INSERT INTO ${groups} (namespace, group_hash, group_id) VALUES (?, ?, ?)`;

export const GROUP_EXISTS = `SELECT 1 AS present FROM ${groups} WHERE namespace = ? AND group_hash = ?`;

/** Deletes the group unless a member is alive. Params: namespace, group hash, namespace, group hash. */
export const DELETE_GROUP = `DELETE FROM ${groups} WHERE namespace = ? AND group_hash = ? AND NOT EXISTS (
  SELECT 1 FROM ${members} m WHERE m.namespace = ? AND m.group_hash = ? AND IS_USED_LOCK(m.lock_name) = m.conn)`;

/** The rows of dead members, once their group is gone. */
export const DELETE_MEMBERS = `DELETE FROM ${members} WHERE namespace = ? AND group_hash = ?`;

export const LIST_GROUPS = `SELECT group_id FROM ${groups} WHERE namespace = ?`;

/**
 * Joins: the member's GET_LOCK and its row in one statement, only if the
 * group exists (the row read locks it against a concurrent delete). A dead
 * member's row is taken over. insertId = the join id; affectedRows 0 = the
 * group is missing or the member's lock is held (a live member).
 * Params: member hash, member id, capabilities, lock name, namespace, group
 * hash, lock name, lock name, then member id, capabilities, lock name.
 */
export const JOIN = `INSERT INTO ${members} (namespace, group_hash, member_hash, member_id, capabilities, lock_name, conn, join_id)
  SELECT g.namespace, g.group_hash, ?, ?, ?, ?, CONNECTION_ID(), LAST_INSERT_ID(1) FROM ${groups} g
  WHERE g.namespace = ? AND g.group_hash = ? AND ${TAKE}
  ON DUPLICATE KEY UPDATE member_id = ?, capabilities = ?, lock_name = ?, conn = CONNECTION_ID(),
    join_id = LAST_INSERT_ID(join_id + 1)`;

const MINE = 'namespace = ? AND group_hash = ? AND member_hash = ? AND join_id = ? AND conn = CONNECTION_ID()';

export const LEAVE = `DELETE FROM ${members} WHERE ${MINE}`;

/** Params: capabilities, then the membership (MINE). */
export const UPDATE_MEMBER = `UPDATE ${members} SET capabilities = ? WHERE ${MINE}`;

/** Live members of one group. No row: no group; one row with a null member: empty. */
export const MEMBERS = `SELECT m.member_id, m.capabilities FROM ${groups} g
  LEFT JOIN ${members} m ON m.namespace = g.namespace AND m.group_hash = g.group_hash
    AND IS_USED_LOCK(m.lock_name) = m.conn
  WHERE g.namespace = ? AND g.group_hash = ?`;
