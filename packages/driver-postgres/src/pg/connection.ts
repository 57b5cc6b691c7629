import type { ConnectionOptions } from 'node:tls';
import { ConnectionError, deadlinePromise } from '@tooz/core/driver';
import { Client, type ClientConfig, DatabaseError } from 'pg';
import { interval, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { notConnected, toToozError } from '../errors.js';
import type { PostgresSettings } from '../options.js';
import type { Statement } from './sql.js';
import { serverTimeoutOptions, type Timeouts } from './timeouts.js';

export interface ConnectionHandlers {
  /** Replies stopped coming; the server-side session may still be alive. */
  stalled?(): void;
  /** Replies flow again after a stall. */
  resumed?(): void;
  /** The connection is gone (socket closed, server ended it, or given up at its deadline). Called once. */
  died(error: unknown): void;
  notification?(payload: string): void;
}

export type Row = Record<string, unknown>;

const KEEPALIVE: Statement = { name: 'tooz_keepalive', text: 'SELECT 1' };
const WHO_AM_I: Statement = {
  name: 'tooz_who_am_i',
  text: `SELECT pid, backend_start::text AS started FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()`,
};
const noop = () => undefined;

/** The session connection holds the advisory locks; the events connection listens and reads. */
export type ConnectionRole = 'session' | 'events';

/** libpq's sslmode and certificate options, or pg's `ssl`, as Node TLS options. */
function tlsOptions(settings: PostgresSettings): boolean | ConnectionOptions {
  const { sslrootcert: ca, sslcert: cert, sslkey: key } = settings;
  const files: ConnectionOptions = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  const given = typeof settings.ssl === 'object' ? settings.ssl : {};
  const verifyCa = { ...files, ...given, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  switch (settings.sslmode) {
    case 'disable':
      return false;
    case 'require':
      // As libpq: encrypted but unverified, unless a root certificate is given (then verify-ca).
      return ca ? verifyCa : { ...files, ...given, rejectUnauthorized: false };
    case 'verify-ca':
      return verifyCa;
    case 'verify-full':
      return { ...files, ...given, rejectUnauthorized: true };
    default:
      if (settings.ssl === undefined || settings.ssl === false) return Object.keys(files).length > 0 ? files : false;
      return { ...files, ...given };
  }
}

/** The pg configuration of one of the coordinator's two connections. */
function clientConfig(settings: PostgresSettings, role: ConnectionRole, timeouts: Timeouts): ClientConfig {
  return {
    host: settings.host ?? 'localhost',
    port: settings.port ?? 5432,
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.database !== undefined ? { database: settings.database } : {}),
    ssl: tlsOptions(settings),
    application_name: role === 'session' ? settings.applicationName : `${settings.applicationName}/events`,
    connectionTimeoutMillis: settings.connectTimeout,
    keepAlive: true,
    keepAliveInitialDelayMillis: timeouts.keepaliveInterval,
    // The server's side of the session timeout: when it may end a client that went silent.
    options: serverTimeoutOptions(timeouts.sessionTimeout),
    // Statements go out without waiting for the previous answer; each is its own transaction.
    pipeline: true,
  };
}

/**
 * One pg connection with a watchdog. Every statement goes through `query`,
 * which counts what is outstanding and notes when each was sent; timers on
 * the coordinator's scheduler send keepalives while idle, notice when
 * replies stop (a partitioned network holds the socket open, so only silence
 * tells), and give the connection up at its deadline: the send of the last
 * answered statement plus the session timeout minus its margin, before the
 * server can end the session (see timeouts.ts).
 */
export class PgConnection {
  /** The server process serving this connection, and when it started: together they name the session. */
  pid = 0;
  started = '';
  private outstanding = 0;
  /** The last reply, or the send that started the current wait for one: silence is counted from it. */
  private lastProgress: number;
  /**
   * When the last answered statement was sent. The server heard it, so it
   * cannot end the session until this plus the session timeout. Starts as
   * the moment before connecting: the session cannot be older.
   */
  private provenAt: number;
  private isStalled = false;
  private dead = false;
  private closing = false;
  private handlers: ConnectionHandlers | undefined;
  private watchdog: Subscription | undefined;
  private deadlineTimer: Subscription | undefined;

  private constructor(
    private readonly client: Client,
    private readonly scheduler: SchedulerLike,
    private readonly timeouts: Timeouts,
    readonly role: ConnectionRole,
  ) {
    this.lastProgress = scheduler.now();
    this.provenAt = this.lastProgress;
  }

  /** Connects and learns who it is on the server; the watchdog starts with `watch`. */
  static async open(settings: PostgresSettings, role: ConnectionRole, timeouts: Timeouts, scheduler: SchedulerLike) {
    const client = new Client(clientConfig(settings, role, timeouts));
    const connection = new PgConnection(client, scheduler, timeouts, role);
    client.on('error', (error) => connection.die(error));
    client.on('end', () => connection.die(new ConnectionError(`PostgreSQL closed the ${role} connection`)));
    client.on('notice', noop);
    client.on('notification', (message) => {
      connection.heard();
      if (message.payload !== undefined) connection.handlers?.notification?.(message.payload);
    });
    try {
      await client.connect();
    } catch (error) {
      connection.dead = true;
      client.end().catch(noop);
      throw toToozError(error, `connecting (${role})`);
    }
    try {
      const [me] = await connection.query(WHO_AM_I);
      connection.pid = Number(me?.pid);
      connection.started = String(me?.started);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Replies are overdue: statements sent now would wait for the network to come back. */
  get stalled(): boolean {
    return this.isStalled;
  }

  /** Scheduler time until which the server session is proven alive, with the margin already taken off. */
  get deadline(): number {
    return this.provenAt + this.timeouts.sessionTimeout - this.timeouts.margin;
  }

  /** Starts the watchdog and routes events to `handlers`. */
  watch(handlers: ConnectionHandlers): void {
    if (this.dead) {
      handlers.died(new ConnectionError(`PostgreSQL ${this.role} connection closed`));
      return;
    }
    this.handlers = handlers;
    const { keepaliveInterval, keepaliveTimeout } = this.timeouts;
    const tick = Math.max(10, Math.floor(Math.min(keepaliveInterval, keepaliveTimeout) / 2));
    this.watchdog = interval(tick, this.scheduler).subscribe(() => this.check());
    this.armDeadline();
  }

  /** Runs one statement (prepared by name on first use); resolves with its rows. */
  query(statement: Statement | string, values?: readonly unknown[]): Promise<Row[]> {
    if (this.dead) return Promise.reject(notConnected(this.role));
    // pg writes it to the socket now (pipeline mode): this is its send.
    const sentAt = this.scheduler.now();
    if (this.outstanding++ === 0) this.lastProgress = sentAt;
    const text = typeof statement === 'string' ? { text: statement } : statement;
    return this.client.query<Row>({ ...text, values: values as unknown[] | undefined }).then(
      (result) => {
        this.settle(sentAt);
        // A multi-statement text (the schema's DDL) answers with one result per statement.
        return Array.isArray(result) ? [] : result.rows;
      },
      (error: unknown) => {
        // An error from the server is an answer too; a broken connection's is not.
        this.settle(error instanceof DatabaseError ? sentAt : undefined);
        throw toToozError(error, statement === KEEPALIVE ? 'keepalive' : `a statement (${this.role})`);
      },
    );
  }

  /** Drops the socket at once: pending statements fail, the server ends the session when it notices. */
  destroy(error: unknown = new ConnectionError(`PostgreSQL ${this.role} connection given up`)): void {
    if (!this.dead) this.client.connection.stream.destroy();
    this.die(error);
  }

  /** Closes politely; a connection that does not answer within a second is dropped. */
  async end(): Promise<void> {
    this.closing = true;
    this.watchdog?.unsubscribe();
    this.deadlineTimer?.unsubscribe();
    if (this.dead) return;
    const unanswered = () => new ConnectionError(`PostgreSQL did not close the ${this.role} connection`);
    await deadlinePromise(this.client.end(), 1_000, this.scheduler, unanswered).catch((error: unknown) =>
      this.destroy(error),
    );
    this.dead = true;
  }

  /** A statement is done; `sentAt` when the server answered it. */
  private settle(sentAt: number | undefined): void {
    this.outstanding--;
    if (sentAt !== undefined && sentAt > this.provenAt) this.provenAt = sentAt;
    this.heard();
  }

  /** Anything from the server proves it reachable. */
  private heard(): void {
    this.lastProgress = this.scheduler.now();
    if (this.isStalled) {
      this.isStalled = false;
      this.handlers?.resumed?.();
    }
  }

  private check(): void {
    if (this.dead) return;
    const now = this.scheduler.now();
    if (this.outstanding === 0) {
      if (now - this.lastProgress >= this.timeouts.keepaliveInterval) this.query(KEEPALIVE).catch(noop);
      return;
    }
    if (!this.isStalled && now - this.lastProgress >= this.timeouts.keepaliveTimeout) {
      this.isStalled = true;
      this.handlers?.stalled?.();
    }
  }

  /**
   * One timer, due at the deadline. Replies move the deadline without
   * touching the timer (thousands a second must stay cheap): when it fires
   * early it is set again for the deadline as it now stands.
   */
  private armDeadline(): void {
    if (this.dead) return;
    const due = Math.max(0, this.deadline - this.scheduler.now());
    this.deadlineTimer = timer(due, this.scheduler).subscribe(() => {
      if (this.dead) return;
      if (this.scheduler.now() < this.deadline) return this.armDeadline();
      this.destroy(
        new ConnectionError(
          `PostgreSQL answered nothing sent on the ${this.role} connection for ${this.timeouts.sessionTimeout - this.timeouts.margin} ms: given up before the server can end the session`,
        ),
      );
    });
  }

  private die(error: unknown): void {
    this.dead = true;
    this.watchdog?.unsubscribe();
    this.deadlineTimer?.unsubscribe();
    const handlers = this.handlers;
    this.handlers = undefined;
    if (handlers && !this.closing) handlers.died(error);
  }
}
