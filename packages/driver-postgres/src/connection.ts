import { ConnectionError } from '@tooz/core';
import { Client, type ClientConfig, DatabaseError } from 'pg';
import { interval, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { notConnected, toToozError } from './errors.js';
import type { Statement } from './sql.js';
import type { Timeouts } from './timeouts.js';

export interface ConnectionHandlers {
  /** Replies stopped coming; the server-side session may still be alive. */
  stalled(): void;
  /** Replies flow again after a stall. */
  resumed(): void;
  /** The connection is gone (socket closed, server ended it, or given up at its deadline). Called once. */
  died(error: unknown): void;
  notification?(payload: string): void;
}

export type Row = Record<string, unknown>;

const KEEPALIVE: Statement = { name: 'tooz_keepalive', text: 'SELECT 1' };
const WHO_AM_I: Statement = {
  name: 'tooz_who_am_i',
  text: `SELECT pid, backend_start::text AS started, current_setting('server_version_num')::integer AS version
         FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()`,
};
const noop = () => undefined;

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
  serverVersion = 0;
  private outstanding = 0;
  /** The last reply, or the send that started the current wait for one: silence is counted from it. */
  private lastProgress: number;
  /**
   * When the last answered statement was sent. The server heard it, so it
   * cannot end the session until this plus the session timeout. Starts as
   * the moment before connecting: the session cannot be older.
   */
  private provenAt: number;
  private stalledSince: number | undefined;
  private dead = false;
  private closing = false;
  private handlers: ConnectionHandlers | undefined;
  private watchdog: Subscription | undefined;
  private deadlineTimer: Subscription | undefined;

  private constructor(
    private readonly client: Client,
    private readonly scheduler: SchedulerLike,
    private readonly timeouts: Timeouts,
    readonly role: string,
  ) {
    this.lastProgress = scheduler.now();
    this.provenAt = this.lastProgress;
  }

  /** Connects and learns who it is on the server; the watchdog starts with `watch`. */
  static async open(config: ClientConfig, scheduler: SchedulerLike, timeouts: Timeouts, role: string) {
    const client = new Client(config);
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
      connection.serverVersion = Number(me?.version);
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
    return this.stalledSince !== undefined;
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
    const config =
      typeof statement === 'string'
        ? { text: statement, values: values as unknown[] | undefined }
        : { name: statement.name, text: statement.text, values: values as unknown[] | undefined };
    return this.client.query<Row>(config).then(
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
    await new Promise<void>((resolve) => {
      const guard = timer(1_000, this.scheduler).subscribe(() => {
        this.destroy();
        resolve();
      });
      this.client.end().then(
        () => {
          guard.unsubscribe();
          resolve();
        },
        () => resolve(),
      );
    });
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
    if (this.stalledSince !== undefined) {
      this.stalledSince = undefined;
      this.handlers?.resumed();
    }
  }

  private check(): void {
    if (this.dead) return;
    const now = this.scheduler.now();
    if (this.outstanding === 0) {
      if (now - this.lastProgress >= this.timeouts.keepaliveInterval) this.query(KEEPALIVE).catch(noop);
      return;
    }
    if (this.stalledSince === undefined && now - this.lastProgress >= this.timeouts.keepaliveTimeout) {
      this.stalledSince = now;
      this.handlers?.stalled();
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
