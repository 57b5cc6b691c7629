import {
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
  InvalidArgumentError,
  type SessionSignal,
} from '@tooz/core/driver';
import { Subject, type Subscription } from 'rxjs';
import { notConnected } from './errors.js';
import { PostgresGroups, type PostgresMemberHandle } from './groups.js';
import { type Grave, Holds } from './holds.js';
import { PostgresKeys } from './keys.js';
import { type PostgresLockHandle, PostgresLocks } from './locks.js';
import type { PostgresSettings } from './options.js';
import { type ConnectionRole, PgConnection } from './pg/connection.js';
import { diagnosePostgres } from './pg/diagnose.js';
import { ensureSchema, warmUp } from './pg/schema.js';
import { quoteIdent, type Statements, statements } from './pg/sql.js';
import { resolveTimeouts, type Timeouts } from './pg/timeouts.js';
import { Topics } from './topics.js';

/**
 * One coordinator's presence in PostgreSQL: two connections, whatever it holds.
 *
 * - The **session** connection holds every advisory lock (locks, leader
 *   seats, memberships) and runs every statement that takes or gives one
 *   back. Its server session *is* the coordinator's liveness: when it ends,
 *   everything it held ends with it, and the coordinator is told `lost`; a
 *   new one is made, the old one's clean-up done (`bury`), then `reconnected`.
 *   When replies stop but the socket stays open, the coordinator is
 *   `suspended` (the server session may still be alive); replies again on
 *   the same connection mean the same server session, so `reconnected` with
 *   everything still held (nothing to verify); at the connection's deadline
 *   (the send of its last answered statement plus the session timeout,
 *   minus a margin: before the server can end the session, see
 *   pg/timeouts.ts) the connection is given up (`lost`).
 * - The **events** connection LISTENs on the namespace's channel and runs the
 *   reads and sweeps, so they never queue behind lock traffic. Re-made when it
 *   drops, after which every watcher re-reads (`resync`).
 */
export class PostgresSession implements DriverSession<PostgresLockHandle, PostgresMemberHandle> {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks = new PostgresLocks(this);
  readonly groups = new PostgresGroups(this);
  readonly holds = new Holds();
  readonly keys: PostgresKeys;
  readonly sql: Statements;
  readonly topics: Topics;
  private session: PgConnection | undefined;
  private events: PgConnection | undefined;
  private suspended = false;
  private closed = false;
  private readonly graves: Grave[] = [];
  private readonly retries = new Map<ConnectionRole, Subscription>();

  private constructor(
    readonly context: DriverContext,
    private readonly settings: PostgresSettings,
    private readonly timeouts: Timeouts,
  ) {
    this.keys = new PostgresKeys(context.namespace, context.memberId, settings.lockMode === 'tooz');
    this.sql = statements(context.namespace);
    this.topics = new Topics(context.scheduler, settings.livenessInterval, this.keys, (groups, keys) =>
      this.sweep(groups, keys),
    );
  }

  static async open(context: DriverContext, settings: PostgresSettings): Promise<PostgresSession> {
    if (/^pg_/i.test(context.namespace)) {
      throw new InvalidArgumentError('namespace', 'PostgreSQL reserves schema names starting with "pg_"');
    }
    const opened = new PostgresSession(context, settings, resolveTimeouts(settings, context.ttl));
    await opened.start();
    return opened;
  }

  /** The connection holding the advisory locks; statements that take or give one back run here. */
  sessionConnection(): PgConnection {
    if (!this.session) throw notConnected('session');
    return this.session;
  }

  /**
   * Scheduler time until which the session connection's server session is
   * proven alive (its deadline; see pg/timeouts.ts). No session connection
   * (lost, reconnecting): nothing is proven.
   */
  sessionDeadline(): number {
    return this.session?.deadline ?? Number.NEGATIVE_INFINITY;
  }

  /** Reads and sweeps: the events connection, or the session connection while that one is down or stalled. */
  readConnection(): PgConnection {
    const { events, session } = this;
    if (events?.alive && (!events.stalled || !session || session.stalled)) return events;
    return this.sessionConnection();
  }

  /** For `tooz doctor`: version, role, server-side timeouts and clock offset (see pg/diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnosePostgres(this.sessionConnection(), this.timeouts);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.stop();
    for (const retry of this.retries.values()) retry.unsubscribe();
    const open = [this.session, this.events];
    this.session = undefined;
    this.events = undefined;
    await Promise.all(open.map((connection) => connection?.end()));
    this.signals$.complete();
  }

  private async start(): Promise<void> {
    const session = await this.connectSession();
    try {
      this.events = await this.connectEvents();
    } catch (error) {
      session.destroy();
      throw error;
    }
    if (!session.alive) {
      this.events.destroy();
      throw notConnected('session');
    }
    this.session = session;
  }

  /**
   * Makes a connection again until one is up (the first attempt at once,
   * then on the user's retry backoff), and hands it to `adopt`.
   */
  private reconnect(role: ConnectionRole, adopt: (connection: PgConnection) => void): void {
    const backoff = this.context.backoff();
    const attempt = (delay: number) => {
      const connect = role === 'session' ? () => this.connectSession() : () => this.connectEvents();
      const retry = this.context.scheduler.schedule(() => {
        connect().then(
          (connection) => {
            if (this.closed) return connection.destroy();
            if (!connection.alive) return attempt(backoff.next());
            adopt(connection);
          },
          () => {
            if (!this.closed) attempt(backoff.next());
          },
        );
      }, delay);
      this.retries.set(role, retry);
    };
    attempt(0);
  }

  // --- the session connection -------------------------------------------------

  private async connectSession(): Promise<PgConnection> {
    const connection = await PgConnection.open(this.settings, 'session', this.timeouts, this.context.scheduler);
    connection.watch({
      stalled: () => this.sessionStalled(connection),
      resumed: () => this.sessionResumed(connection),
      died: () => this.sessionDied(connection),
    });
    try {
      await ensureSchema(connection, this.context.namespace, this.keys.schemaLock, this.sql);
      await warmUp(connection, this.sql, 'session');
      await this.buryGraves(connection);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    if (!connection.alive) throw notConnected('session');
    return connection;
  }

  private sessionStalled(connection: PgConnection): void {
    if (connection !== this.session || this.suspended) return;
    this.suspended = true;
    this.signals$.next('suspended');
  }

  private sessionResumed(connection: PgConnection): void {
    if (connection !== this.session || !this.suspended) return;
    this.suspended = false;
    this.signals$.next('reconnected');
  }

  /** Everything the session held is gone with it: say so, then make a new one. */
  private sessionDied(connection: PgConnection): void {
    if (connection !== this.session || this.closed) return;
    this.session = undefined;
    this.suspended = false;
    this.graves.push(this.holds.bury(connection.pid, connection.started));
    this.signals$.next('lost');
    this.reconnect('session', (fresh) => {
      this.session = fresh;
      this.signals$.next('reconnected');
    });
  }

  /**
   * Cleans up after lost sessions, on the new one: ends the old server
   * session if it still lingers (a cut or given-up connection leaves it until
   * the server notices), then wakes the waiters of what it held and reports
   * its memberships as left. Until this is done the coordinator stays `lost`.
   */
  private async buryGraves(connection: PgConnection): Promise<void> {
    // Shorter than the keepalive timeout, so waiting for it never looks like a stall.
    const wait = Math.min(1_000, Math.floor(this.timeouts.keepaliveTimeout / 2));
    for (let grave = this.graves[0]; grave; grave = this.graves[0]) {
      const { pid, started, payloads, groups } = grave;
      await connection.query(this.sql.bury, [pid, started, wait, this.keys.channel, payloads, groups]);
      this.graves.shift();
    }
  }

  // --- the events connection --------------------------------------------------

  private async connectEvents(): Promise<PgConnection> {
    const connection = await PgConnection.open(this.settings, 'events', this.timeouts, this.context.scheduler);
    connection.watch({
      died: () => this.eventsDied(connection),
      notification: (payload) => this.topics.dispatch(payload),
    });
    try {
      await Promise.all([
        connection.query(`LISTEN ${quoteIdent(this.keys.channel)}`),
        warmUp(connection, this.sql, 'events'),
      ]);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    if (!connection.alive) throw notConnected('events');
    return connection;
  }

  private eventsDied(connection: PgConnection): void {
    if (connection !== this.events || this.closed) return;
    this.events = undefined;
    this.reconnect('events', (fresh) => {
      this.events = fresh;
      // Whatever was notified while no one listened is lost: every watcher re-reads.
      this.topics.resync();
    });
  }

  private async sweep(groups: Buffer[], keys: string[]): Promise<string[]> {
    const own = keys.filter((key) => !key.startsWith('p'));
    const tooz = keys.filter((key) => key.startsWith('p')).map((key) => Number(key.slice(1)));
    const { channel } = this.keys;
    const [row] =
      tooz.length === 0
        ? await this.readConnection().query(this.sql.sweep, [groups, own, channel])
        : await this.readConnection().query(this.sql.sweepTooz, [groups, own, channel, tooz]);
    const free = Array.isArray(row?.free) ? row.free.map(String) : [];
    const freeTooz = Array.isArray(row?.free_tooz) ? row.free_tooz.map((n: unknown) => `p${String(n)}`) : [];
    return [...free, ...freeTooz];
  }
}
