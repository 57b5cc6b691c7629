import type {
  DriverContext,
  DriverDiagnosis,
  DriverSession,
  GroupBackend,
  LockBackend,
  SessionSignal,
} from '@tooz/core';
import { InvalidArgumentError } from '@tooz/core';
import type { ClientConfig } from 'pg';
import { Subject, type Subscription, timer } from 'rxjs';
import { clientConfig } from './client-config.js';
import { PgConnection } from './connection.js';
import { diagnosePostgres } from './diagnose.js';
import { notConnected } from './errors.js';
import { groupBackend } from './group-backend.js';
import { type Grave, Holds } from './holds.js';
import { channelOf } from './keys.js';
import { lockBackend } from './lock-backend.js';
import type { LockMode, PostgresSettings } from './options.js';
import { b64 } from './payload.js';
import { ensureSchema } from './schema.js';
import { quoteIdent, type Statements, statements } from './sql.js';
import { Sweeper } from './sweeper.js';
import { resolveTimeouts, type Timeouts } from './timeouts.js';
import { Topics } from './topics.js';
import { warmUp } from './warm-up.js';

/** Delay before the n-th reconnection attempt (the first is immediate). */
const backoff = (attempt: number) => (attempt === 0 ? 0 : Math.min(2_000, 100 * 2 ** (attempt - 1)));

/**
 * One coordinator's presence in PostgreSQL: two connections, whatever it holds.
 *
 * - The **session** connection holds every advisory lock (locks, leader
 *   seats, memberships) and runs every statement that takes or gives one
 *   back. Its server session *is* the coordinator's liveness: when it ends,
 *   everything it held ends with it, and the coordinator is told `lost`; a
 *   new one is made, the old one's clean-up done (`bury`), then `reconnected`.
 *   When replies stop but the socket stays open, the coordinator is
 *   `suspended` (the server session may still be alive); replies again mean
 *   `reconnected` with everything still held; at the connection's deadline
 *   (the send of its last answered statement plus the session timeout,
 *   minus a margin: before the server can end the session, see
 *   timeouts.ts) the connection is given up (`lost`).
 * - The **events** connection LISTENs on the namespace's channel and runs the
 *   reads and sweeps, so they never queue behind lock traffic. Re-made when it
 *   drops, after which every watcher re-reads (`resync`).
 */
export class PostgresSession implements DriverSession {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks: LockBackend;
  readonly groups: GroupBackend;
  readonly holds = new Holds();
  readonly topics = new Topics();
  readonly sql: Statements;
  readonly channel: string;
  readonly memberBytes: Buffer;
  readonly member64: string;
  private session: PgConnection | undefined;
  private events: PgConnection | undefined;
  private suspended = false;
  private closed = false;
  private readonly graves: Grave[] = [];
  private readonly retries: { session?: Subscription; events?: Subscription } = {};
  private readonly sweeper: Sweeper;

  private constructor(
    readonly context: DriverContext,
    private readonly configs: Readonly<Record<'session' | 'events', ClientConfig>>,
    private readonly timeouts: Timeouts,
    livenessInterval: number,
    readonly lockMode: LockMode,
  ) {
    this.sql = statements(context.namespace);
    this.channel = channelOf(context.namespace);
    this.memberBytes = Buffer.from(context.memberId, 'utf8');
    this.member64 = b64(context.memberId);
    this.locks = lockBackend(this);
    this.groups = groupBackend(this);
    this.sweeper = new Sweeper(context.scheduler, livenessInterval, this.topics, (groups, keys) =>
      this.sweep(groups, keys),
    );
  }

  static async open(context: DriverContext, settings: PostgresSettings): Promise<PostgresSession> {
    if (/^pg_/i.test(context.namespace)) {
      throw new InvalidArgumentError('namespace', 'PostgreSQL reserves schema names starting with "pg_"');
    }
    const timeouts = resolveTimeouts(settings, context.ttl);
    const [session, events] = await Promise.all([
      clientConfig(settings, 'session', timeouts),
      clientConfig(settings, 'events', timeouts),
    ]);
    const opened = new PostgresSession(
      context,
      { session, events },
      timeouts,
      settings.livenessInterval,
      settings.lockMode,
    );
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
   * proven alive (its deadline; see timeouts.ts). Core reads it on every
   * synchronous "do you hold it", so a process resuming from a stall reads
   * `lost` before the connection's own timer has run. No session connection
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

  /** For `tooz doctor`: version, role, server-side timeouts and clock offset (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnosePostgres(this.sessionConnection(), this.timeouts);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sweeper.stop();
    this.retries.session?.unsubscribe();
    this.retries.events?.unsubscribe();
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

  // --- the session connection -------------------------------------------------

  private async connectSession(): Promise<PgConnection> {
    const connection = await PgConnection.open(this.configs.session, this.context.scheduler, this.timeouts, 'session');
    connection.watch({
      stalled: () => this.sessionStalled(connection),
      resumed: () => this.sessionResumed(connection),
      died: () => this.sessionDied(connection),
    });
    try {
      await ensureSchema(connection, this.context.namespace, this.sql);
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
    this.reconnectSession(0);
  }

  private reconnectSession(attempt: number): void {
    this.retries.session = timer(backoff(attempt), this.context.scheduler).subscribe(() => {
      this.connectSession().then(
        (connection) => {
          if (this.closed) return connection.destroy();
          if (!connection.alive) return this.reconnectSession(attempt + 1);
          this.session = connection;
          this.signals$.next('reconnected');
        },
        () => {
          if (!this.closed) this.reconnectSession(attempt + 1);
        },
      );
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
    while (this.graves.length > 0) {
      const grave = this.graves[0] as Grave;
      await connection.query(this.sql.bury, [
        grave.pid,
        grave.started,
        wait,
        this.channel,
        grave.payloads,
        grave.groups,
      ]);
      this.graves.shift();
    }
  }

  // --- the events connection --------------------------------------------------

  private async connectEvents(): Promise<PgConnection> {
    const connection = await PgConnection.open(this.configs.events, this.context.scheduler, this.timeouts, 'events');
    connection.watch({
      stalled: () => undefined,
      resumed: () => undefined,
      died: () => this.eventsDied(connection),
      notification: (payload) => this.topics.dispatch(payload),
    });
    try {
      await Promise.all([
        connection.query(`LISTEN ${quoteIdent(this.channel)}`),
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
    this.reconnectEvents(0);
  }

  private reconnectEvents(attempt: number): void {
    this.retries.events = timer(backoff(attempt), this.context.scheduler).subscribe(() => {
      this.connectEvents().then(
        (connection) => {
          if (this.closed) return connection.destroy();
          if (!connection.alive) return this.reconnectEvents(attempt + 1);
          this.events = connection;
          // Whatever was notified while no one listened is lost: every watcher re-reads.
          this.topics.resync();
        },
        () => {
          if (!this.closed) this.reconnectEvents(attempt + 1);
        },
      );
    });
  }

  private async sweep(groups: Buffer[], keys: string[]): Promise<string[]> {
    const own = keys.filter((key) => !key.startsWith('p'));
    const tooz = keys.filter((key) => key.startsWith('p')).map((key) => Number(key.slice(1)));
    const [row] =
      tooz.length === 0
        ? await this.readConnection().query(this.sql.sweep, [groups, own, this.channel])
        : await this.readConnection().query(this.sql.sweepTooz, [groups, own, this.channel, tooz]);
    const free = Array.isArray(row?.free) ? row.free.map(String) : [];
    const freeTooz = Array.isArray(row?.free_tooz) ? row.free_tooz.map((n: unknown) => `p${String(n)}`) : [];
    return [...free, ...freeTooz];
  }
}
