/**
 * Every SQL statement of the driver, in one place. Values always travel as
 * parameters; the only text spliced in is the schema identifier, quoted by
 * `quoteIdent` (and the namespace it comes from is already restricted to
 * letters, digits, `_`, `-` and `.` by core).
 *
 * Layout, in the schema named after the namespace:
 * - `locks`: one row per lock name and leader seat ever taken: the fencing
 *   counter, and who took it last (member id and backend pid).
 * - `groups`, `members`: membership rows; a member is alive while the backend
 *   whose pid is recorded holds the member's advisory lock.
 * - `advisory`: this database's advisory locks as `(lock_key, pid)`, read
 *   from `pg_locks`, which is how liveness is decided.
 * - functions for the steps that need an order (join, leave, delete, sweep,
 *   bury), each one round trip.
 */

export const SCHEMA_VERSION = 1;

/** Quotes an identifier for PostgreSQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (used only for the schema's own name inside DDL). */
function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The DDL, run inside one transaction under a transaction-level advisory lock. */
export function schemaDdl(schema: string): string {
  const s = quoteIdent(schema);
  const joinIds = quoteLiteral(`${s}.join_ids`);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.locks (
  kind text NOT NULL,
  name bytea NOT NULL,
  lock_key bigint NOT NULL,
  token bigint NOT NULL,
  holder bytea NOT NULL,
  holder_pid integer NOT NULL,
  PRIMARY KEY (kind, name)
);

CREATE TABLE IF NOT EXISTS ${s}.groups (
  group_id bytea PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ${s}.members (
  group_id bytea NOT NULL REFERENCES ${s}.groups (group_id) ON DELETE CASCADE,
  member_id bytea NOT NULL,
  capabilities bytea NOT NULL,
  lock_key bigint NOT NULL,
  pid integer NOT NULL,
  join_id bigint NOT NULL,
  PRIMARY KEY (group_id, member_id)
);

CREATE SEQUENCE IF NOT EXISTS ${s}.join_ids;

-- Advisory locks taken with the bigint form are (classid, objid) = (high, low) 32 bits, objsubid 1.
CREATE OR REPLACE VIEW ${s}.advisory AS
  SELECT ((l.classid::bigint << 32) | l.objid::bigint) AS lock_key, l.pid
  FROM pg_catalog.pg_locks l
  WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database());

-- Returns the join id, 0 when another session holds the member's lock, -1 when the group is missing.
CREATE OR REPLACE FUNCTION ${s}.join_group(
  p_group bytea, p_member bytea, p_caps bytea, p_key bigint, p_channel text, p_payload text
) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  v_join bigint;
BEGIN
  -- KEY SHARE holds off a concurrent delete_group until this join commits.
  PERFORM 1 FROM ${s}.groups WHERE group_id = p_group FOR KEY SHARE;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  IF NOT pg_try_advisory_lock(p_key) THEN
    RETURN 0;
  END IF;
  BEGIN
    v_join := nextval(${joinIds});
    INSERT INTO ${s}.members AS m (group_id, member_id, capabilities, lock_key, pid, join_id)
      VALUES (p_group, p_member, p_caps, p_key, pg_backend_pid(), v_join)
      ON CONFLICT (group_id, member_id) DO UPDATE
        SET capabilities = excluded.capabilities, lock_key = excluded.lock_key,
            pid = excluded.pid, join_id = excluded.join_id;
    PERFORM pg_notify(p_channel, p_payload);
  EXCEPTION WHEN OTHERS THEN
    -- A session-level advisory lock outlives a rolled-back statement: give it back.
    PERFORM pg_advisory_unlock(p_key);
    RAISE;
  END;
  RETURN v_join;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.leave_group(
  p_group bytea, p_member bytea, p_join bigint, p_key bigint, p_channel text, p_payload text
) RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  v_found boolean;
BEGIN
  DELETE FROM ${s}.members WHERE group_id = p_group AND member_id = p_member AND join_id = p_join;
  v_found := FOUND;
  IF v_found THEN
    PERFORM pg_notify(p_channel, p_payload);
  END IF;
  PERFORM pg_advisory_unlock(p_key);
  RETURN v_found;
END
$fn$;

-- Returns 1 when deleted, 0 when missing, -1 while live members remain (dead ones go with the group).
CREATE OR REPLACE FUNCTION ${s}.delete_group(p_group bytea, p_channel text, p_payload text)
RETURNS integer LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1 FROM ${s}.groups WHERE group_id = p_group FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  IF EXISTS (
    SELECT 1 FROM ${s}.members m JOIN ${s}.advisory a ON a.lock_key = m.lock_key AND a.pid = m.pid
    WHERE m.group_id = p_group
  ) THEN
    RETURN -1;
  END IF;
  DELETE FROM ${s}.groups WHERE group_id = p_group;
  PERFORM pg_notify(p_channel, p_payload);
  RETURN 1;
END
$fn$;

-- Deletes the members of p_groups whose session has ended (telling watchers they left),
-- and returns which of p_keys no session holds.
CREATE OR REPLACE FUNCTION ${s}.sweep(p_groups bytea[], p_keys bigint[], p_channel text)
RETURNS bigint[] LANGUAGE plpgsql AS $fn$
DECLARE
  v_left bigint;
  v_free bigint[];
BEGIN
  IF cardinality(p_groups) > 0 THEN
    -- join_id in the DELETE's condition spares a row that a re-join replaced meanwhile.
    WITH dead AS (
      SELECT m.group_id, m.member_id, m.join_id FROM ${s}.members m
      WHERE m.group_id = ANY (p_groups)
        AND NOT EXISTS (SELECT 1 FROM ${s}.advisory a WHERE a.lock_key = m.lock_key AND a.pid = m.pid)
    ), gone AS (
      DELETE FROM ${s}.members m USING dead d
      WHERE m.group_id = d.group_id AND m.member_id = d.member_id AND m.join_id = d.join_id
      RETURNING m.group_id, m.member_id
    )
    SELECT count(pg_notify(p_channel, 'L ' || translate(encode(g.group_id, 'base64'), E'\\n', '')
                                      || ' ' || translate(encode(g.member_id, 'base64'), E'\\n', '')))
      INTO v_left FROM gone g;
  END IF;
  IF cardinality(p_keys) > 0 THEN
    SELECT coalesce(array_agg(k), '{}') INTO v_free FROM unnest(p_keys) k
      WHERE NOT EXISTS (SELECT 1 FROM ${s}.advisory a WHERE a.lock_key = k);
  END IF;
  RETURN coalesce(v_free, '{}');
END
$fn$;

-- After a lost session: make sure its backend is gone (it may outlive a cut connection),
-- then wake the waiters of what it held and report its memberships as left.
CREATE OR REPLACE FUNCTION ${s}.bury(
  p_pid integer, p_started timestamptz, p_wait bigint, p_channel text, p_payloads text[], p_groups bytea[]
) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_payload text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = p_pid AND backend_start = p_started) THEN
    BEGIN
      IF current_setting('server_version_num')::integer >= 140000 THEN
        PERFORM pg_terminate_backend(p_pid, p_wait);
      ELSE
        PERFORM pg_terminate_backend(p_pid);
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      NULL; -- not ours to end: its locks go when the server notices the dead connection
    END;
  END IF;
  FOREACH v_payload IN ARRAY p_payloads LOOP
    PERFORM pg_notify(p_channel, v_payload);
  END LOOP;
  PERFORM ${s}.sweep(p_groups, '{}', p_channel);
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.tooz_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$
  SELECT ${SCHEMA_VERSION}
$fn$;
`;
}

export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** The statements the driver runs, prepared once per connection (the names are per connection). */
export function statements(schema: string) {
  const s = quoteIdent(schema);
  const attempt = 'attempt AS (SELECT pg_try_advisory_lock($3::bigint) AS ok)';
  // lockMode 'tooz': Python tooz's (int4, int4) key first, then the driver's own; the first is given
  // back when the second is refused. CASE evaluates in order, and volatile calls are never folded early.
  const toozAttempt = `attempt AS (SELECT CASE
      WHEN NOT pg_try_advisory_lock($5::integer, $6::integer) THEN false
      WHEN pg_try_advisory_lock($3::bigint) THEN true
      WHEN pg_advisory_unlock($5::integer, $6::integer) THEN false
      ELSE false END AS ok)`;
  // Advisory locks taken with the two-int4 form are (classid, objid) = the two values, objsubid 2.
  const toozHeld = (high: string, low: string, extra = '') => `SELECT 1 FROM pg_catalog.pg_locks l
      WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
        AND l.classid = (${high})::oid AND l.objid = (${low})::oid ${extra}
        AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())`;
  const take = `
    INSERT INTO ${s}.locks AS t (kind, name, lock_key, token, holder, holder_pid)
    SELECT $1::text, $2::bytea, $3::bigint, 1, $4::bytea, pg_backend_pid() FROM attempt WHERE attempt.ok
    ON CONFLICT (kind, name) DO UPDATE
      SET token = t.token + 1, lock_key = excluded.lock_key, holder = excluded.holder, holder_pid = excluded.holder_pid
    RETURNING t.token`;
  return {
    /** Is the schema there? $1: the version function's signature. */
    schemaPresent: {
      name: 'tooz_schema_present',
      text: 'SELECT to_regprocedure($1::text) IS NOT NULL AS present',
    },
    /** Only once schemaPresent said so: naming a missing function fails at parse time. */
    schemaVersion: { name: 'tooz_schema_version', text: `SELECT ${s}.tooz_schema_version() AS version` },
    /** Serialises concurrent schema creation: $1 is a key derived from the schema name. */
    schemaLock: { name: 'tooz_schema_lock', text: 'SELECT pg_advisory_xact_lock($1::bigint)' },
    /**
     * One attempt and the fencing counter, one round trip: the counter moves
     * only when the lock was taken. $1 kind, $2 name, $3 key, $4 member.
     * Returns one row (the token) when acquired, none otherwise.
     */
    acquireLock: { name: 'tooz_acquire_lock', text: `WITH ${attempt} ${take}` },
    /**
     * As acquireLock, for `lockMode: 'tooz'`: Python tooz's key ($5, $6) as
     * well as the driver's own, both or neither.
     */
    acquireToozLock: { name: 'tooz_acquire_tooz_lock', text: `WITH ${toozAttempt} ${take}` },
    /** As acquireLock, and tells watchers who took the seat: $5 channel, $6 payload. */
    acquireSeat: {
      name: 'tooz_acquire_seat',
      text: `WITH ${attempt}, taken AS (${take})
             SELECT token, pg_notify($5::text, $6::text) FROM taken`,
    },
    /** $1 key, $2 channel, $3 payload. Notifies whether or not it held (a stray wake-up is harmless). */
    release: {
      name: 'tooz_release',
      text: 'SELECT pg_advisory_unlock($1::bigint) AS released, pg_notify($2::text, $3::text)',
    },
    /** As release, for a tooz-mode lock: $4, $5 its tooz key. */
    releaseTooz: {
      name: 'tooz_release_tooz',
      text: `SELECT pg_advisory_unlock($1::bigint) AS released, pg_advisory_unlock($4::integer, $5::integer) AS released_tooz,
             pg_notify($2::text, $3::text)`,
    },
    /** As unlockIfHeld, for a tooz key: $1, $2. */
    unlockToozIfHeld: {
      name: 'tooz_unlock_tooz_if_held',
      text: `SELECT pg_advisory_unlock($1::integer, $2::integer) WHERE EXISTS (${toozHeld('$1::integer', '$2::integer', 'AND l.pid = pg_backend_pid()')})`,
    },
    /**
     * Who holds a tooz-mode lock: this driver's holder (as holder), or else
     * any session holding Python tooz's key for it (its pid). $1 kind, $2 name, $3, $4 the tooz key.
     */
    toozHolder: {
      name: 'tooz_tooz_holder',
      text: `SELECT t.holder, t.token, NULL::integer AS pid FROM ${s}.locks t
             JOIN ${s}.advisory a ON a.lock_key = t.lock_key AND a.pid = t.holder_pid
             WHERE t.kind = $1::text AND t.name = $2::bytea
             UNION ALL
             SELECT NULL::bytea, NULL::bigint, l.pid FROM pg_catalog.pg_locks l
             WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
               AND l.classid = ($3::integer)::oid AND l.objid = ($4::integer)::oid
               AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())`,
    },
    /** Gives back a hold a failed acquire may have left behind, if this session has it. $1 key. */
    unlockIfHeld: {
      name: 'tooz_unlock_if_held',
      text: `SELECT pg_advisory_unlock($1::bigint) FROM ${s}.advisory
             WHERE lock_key = $1::bigint AND pid = pg_backend_pid()`,
    },
    /** $1 kind, $2 name. */
    holder: {
      name: 'tooz_holder',
      text: `SELECT t.holder, t.token FROM ${s}.locks t
             JOIN ${s}.advisory a ON a.lock_key = t.lock_key AND a.pid = t.holder_pid
             WHERE t.kind = $1::text AND t.name = $2::bytea`,
    },
    createGroup: {
      name: 'tooz_create_group',
      text: `INSERT INTO ${s}.groups (group_id) VALUES ($1::bytea) ON CONFLICT DO NOTHING RETURNING 1 AS created`,
    },
    deleteGroup: {
      name: 'tooz_delete_group',
      text: `SELECT ${s}.delete_group($1::bytea, $2::text, $3::text) AS outcome`,
    },
    listGroups: { name: 'tooz_list_groups', text: `SELECT group_id FROM ${s}.groups` },
    joinGroup: {
      name: 'tooz_join_group',
      text: `SELECT ${s}.join_group($1::bytea, $2::bytea, $3::bytea, $4::bigint, $5::text, $6::text) AS join_id`,
    },
    leaveGroup: {
      name: 'tooz_leave_group',
      text: `SELECT ${s}.leave_group($1::bytea, $2::bytea, $3::bigint, $4::bigint, $5::text, $6::text) AS left`,
    },
    /** $1 group, $2 member, $3 join id, $4 capabilities, $5 channel, $6 payload. */
    updateMember: {
      name: 'tooz_update_member',
      text: `WITH updated AS (
               UPDATE ${s}.members SET capabilities = $4::bytea
               WHERE group_id = $1::bytea AND member_id = $2::bytea AND join_id = $3::bigint
               RETURNING 1
             )
             SELECT pg_notify($5::text, $6::text) FROM updated`,
    },
    /**
     * Live members of one group. No row: the group is missing; one row with a
     * null member: it is empty.
     */
    members: {
      name: 'tooz_members',
      text: `SELECT live.member_id, live.capabilities FROM ${s}.groups g
             LEFT JOIN (
               SELECT m.group_id, m.member_id, m.capabilities FROM ${s}.members m
               JOIN ${s}.advisory a ON a.lock_key = m.lock_key AND a.pid = m.pid
               WHERE m.group_id = $1::bytea
             ) live ON live.group_id = g.group_id
             WHERE g.group_id = $1::bytea`,
    },
    sweep: {
      name: 'tooz_sweep',
      text: `SELECT ${s}.sweep($1::bytea[], $2::bigint[], $3::text) AS free`,
    },
    /** As sweep, and which of the tooz keys $4 (each high * 256 + low) no session holds. */
    sweepTooz: {
      name: 'tooz_sweep_tooz',
      text: `SELECT ${s}.sweep($1::bytea[], $2::bigint[], $3::text) AS free,
             (SELECT coalesce(array_agg(p), '{}') FROM unnest($4::integer[]) p
              WHERE NOT EXISTS (${toozHeld('p >> 8', 'p & 255')})) AS free_tooz`,
    },
    bury: {
      name: 'tooz_bury',
      text: `SELECT ${s}.bury($1::integer, $2::timestamptz, $3::bigint, $4::text, $5::text[], $6::bytea[])`,
    },
  } satisfies Record<string, Statement>;
}

export type Statements = ReturnType<typeof statements>;

/** The signature `to_regprocedure` looks for to tell the schema is in place. */
export function versionFunction(schema: string): string {
  return `${quoteIdent(schema)}.tooz_schema_version()`;
}
