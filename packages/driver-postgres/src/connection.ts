import { ConnectionError } from '@tooz/core';
import { Client, type ClientConfig } from 'pg';
import { interval, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { notConnected, toToozError } from './errors.js';
import type { Statement } from './sql.js';

/** When a connection counts as stalled (no reply) and when as dead. */
export interface Liveness {
  /** An idle connection sends a keepalive query this often. */
  readonly keepaliveInterval: number;
  /** A reply overdue this long: the server cannot be reached right now. */
  readonly keepaliveTimeout: number;
  /** Stalled this long: the connection is given up and destroyed. */
  readonly deadAfter: number;
}

export interface ConnectionHandlers {
  /** Replies stopped coming; the server-side session may still be alive. */
  stalled(): void;
  /** Replies flow again after a stall. */
  resumed(): void;
  /** The connection is gone (socket closed, server ended it, or given up). Called once. */
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
 * which counts what is outstanding; a timer on the coordinator's scheduler
 * sends keepalives while idle and notices when replies stop (a suspended
 * network holds the socket open, so only silence tells).
 */
export class PgConnection {
  /** The server process serving this connection, and when it started: together they name the session. */
  pid = 0;
  started = '';
  serverVersion = 0;
  private outstanding = 0;
  private lastProgress: number;
  private stalledSince: number | undefined;
  private dead = false;
  private closing = false;
  private handlers: ConnectionHandlers | undefined;
  private watchdog: Subscription | undefined;

  private constructor(
    private readonly client: Client,
    private readonly scheduler: SchedulerLike,
    private readonly liveness: Liveness,
    readonly role: string,
  ) {
    this.lastProgress = scheduler.now();
  }

  /** Connects and learns who it is on the server; the watchdog starts with `watch`. */
  static async open(config: ClientConfig, scheduler: SchedulerLike, liveness: Liveness, role: string) {
    const client = new Client(config);
    const connection = new PgConnection(client, scheduler, liveness, role);
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

  /** Starts the watchdog and routes events to `handlers`. */
  watch(handlers: ConnectionHandlers): void {
    if (this.dead) {
      handlers.died(new ConnectionError(`PostgreSQL ${this.role} connection closed`));
      return;
    }
    this.handlers = handlers;
    const { keepaliveInterval, keepaliveTimeout } = this.liveness;
    const tick = Math.max(10, Math.floor(Math.min(keepaliveInterval, keepaliveTimeout) / 2));
    this.watchdog = interval(tick, this.scheduler).subscribe(() => this.check());
  }

  /** Runs one statement (prepared by name on first use); resolves with its rows. */
  query(statement: Statement | string, values?: readonly unknown[]): Promise<Row[]> {
    if (this.dead) return Promise.reject(notConnected(this.role));
    if (this.outstanding++ === 0) this.lastProgress = this.scheduler.now();
    const config =
      typeof statement === 'string'
        ? { text: statement, values: values as unknown[] | undefined }
        : { name: statement.name, text: statement.text, values: values as unknown[] | undefined };
    return this.client.query<Row>(config).then(
      (result) => {
        this.settle();
        // A multi-statement text (the schema's DDL) answers with one result per statement.
        return Array.isArray(result) ? [] : result.rows;
      },
      (error: unknown) => {
        this.settle();
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

  private settle(): void {
    this.outstanding--;
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
      if (now - this.lastProgress >= this.liveness.keepaliveInterval) this.query(KEEPALIVE).catch(noop);
      return;
    }
    if (this.stalledSince === undefined) {
      if (now - this.lastProgress < this.liveness.keepaliveTimeout) return;
      this.stalledSince = now;
      this.handlers?.stalled();
    } else if (now - this.stalledSince >= this.liveness.deadAfter) {
      this.destroy(new ConnectionError(`PostgreSQL did not answer the ${this.role} connection in time`));
    }
  }

  private die(error: unknown): void {
    this.dead = true;
    this.watchdog?.unsubscribe();
    const handlers = this.handlers;
    this.handlers = undefined;
    if (handlers && !this.closing) handlers.died(error);
  }
}
