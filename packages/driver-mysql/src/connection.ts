import { ConnectionError, LinkedSet } from '@tooz/core/driver';
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { type Connection, type ConnectionOptions, createConnection } from 'mysql2/promise';
import { interval, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { isConnectionFailure, notConnected, toToozError } from './errors.js';
import type { Timeouts } from './timeouts.js';

export interface ConnectionHandlers {
  /** Replies stopped coming; the server session may still be alive. */
  stalled(): void;
  /** Replies flow again after a stall. */
  resumed(): void;
  /** The connection is gone (closed, killed, or given up at its deadline). Called once. */
  died(error: unknown): void;
}

export type Rows = RowDataPacket[];
export type Header = ResultSetHeader;
type Param = string | number | bigint | Buffer | null;

const noop = () => undefined;

/**
 * One mysql2 connection with a watchdog. Every statement goes through
 * `execute`, which notes when it was sent (mysql2 sends commands one at a
 * time, so the real send is never earlier: the deadline errs early);
 * timers on the coordinator's scheduler ping while idle, notice when
 * replies stop (a partition keeps the socket open, so only silence tells),
 * and drop the connection at its deadline, before the server can end the
 * session (see timeouts.ts).
 */
export class MysqlConnection {
  /** The server's id for this session (CONNECTION_ID()). */
  id = 0;
  version = '';
  /** When the server started (unix seconds, from its uptime): connection ids are unique within one run. */
  serverStart = 0;
  private outstanding = 0;
  private lastProgress: number;
  /** The send of the last answered command: the server cannot end the session before this plus T. */
  private provenAt: number;
  private stalledSince: number | undefined;
  private dead = false;
  private closing = false;
  private handlers: ConnectionHandlers | undefined;
  /**
   * Rejects each statement in flight: mysql2 leaves them pending when the
   * socket is dropped under them. A LinkedSet: every statement enters and leaves it.
   */
  private readonly inFlight = new LinkedSet<(error: unknown) => void>();
  private watchdog: Subscription | undefined;
  private deadlineTimer: Subscription | undefined;

  private constructor(
    private readonly client: Connection,
    private readonly scheduler: SchedulerLike,
    private readonly timeouts: Timeouts,
    openedAt: number,
  ) {
    this.lastProgress = openedAt;
    this.provenAt = openedAt;
  }

  /** Connects, sets the server-side timeouts and learns who it is; the watchdog starts with `watch`. */
  static async open(config: ConnectionOptions, scheduler: SchedulerLike, timeouts: Timeouts): Promise<MysqlConnection> {
    const openedAt = scheduler.now();
    let client: Connection;
    try {
      client = await createConnection(config);
    } catch (error) {
      throw toToozError(error, 'connecting');
    }
    const connection = new MysqlConnection(client, scheduler, timeouts, openedAt);
    // Watched from the start: a network that goes silent during the setup below ends it at the deadline.
    connection.arm();
    client.on('error', (error: unknown) => connection.die(error));
    client.on('end', () =>
      connection.die(new ConnectionError('MySQL closed the session connection', { retryable: true })),
    );
    try {
      const seconds = timeouts.serverSeconds;
      // Whole seconds computed here, never user text: spliced as a number.
      await connection.query(
        `SET SESSION wait_timeout = ${seconds}, net_read_timeout = GREATEST(@@session.net_read_timeout, ${seconds}), net_write_timeout = GREATEST(@@session.net_write_timeout, ${seconds})`,
      );
      const [me] = await connection.rows(
        'SELECT CONNECTION_ID() AS id, VERSION() AS version, UNIX_TIMESTAMP() AS now',
        [],
      );
      const [uptime] = (await connection.query("SHOW GLOBAL STATUS LIKE 'Uptime'")) as [Rows];
      connection.id = Number(me?.id);
      connection.version = String(me?.version);
      connection.serverStart = Math.round(Number(me?.now) - Number(uptime[0]?.Value));
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  get alive(): boolean {
    return !this.dead;
  }

  get stalled(): boolean {
    return this.stalledSince !== undefined;
  }

  /** Scheduler time until which the server session is proven alive, margin taken off. */
  get deadline(): number {
    return this.provenAt + this.timeouts.sessionTimeout - this.timeouts.margin;
  }

  /** Routes the connection's events to `handlers` (at once `died` if it is gone already). */
  watch(handlers: ConnectionHandlers): void {
    if (this.dead) {
      handlers.died(notConnected());
      return;
    }
    this.handlers = handlers;
  }

  private arm(): void {
    const { keepaliveInterval, keepaliveTimeout } = this.timeouts;
    const tick = Math.max(10, Math.floor(Math.min(keepaliveInterval, keepaliveTimeout) / 2));
    this.watchdog = interval(tick, this.scheduler).subscribe(() => this.check());
    this.armDeadline();
  }

  /** A prepared statement that returns rows. */
  rows(sql: string, params: readonly Param[]): Promise<Rows> {
    return this.send(() => this.client.execute<Rows>(sql, params as Param[]).then(([rows]) => rows));
  }

  /** A prepared statement that changes rows: its OK packet. */
  write(sql: string, params: readonly Param[]): Promise<Header> {
    return this.send(() => this.client.execute<Header>(sql, params as Param[]).then(([header]) => header));
  }

  /** A plain statement (DDL, SET), no parameters. */
  query(sql: string): Promise<unknown> {
    return this.send(() => this.client.query(sql));
  }

  /** Drops the socket at once: pending statements fail; the server ends the session when it notices. */
  destroy(error: unknown = new ConnectionError('MySQL session connection given up', { retryable: true })): void {
    // mysql2's destroy() only ends the socket politely (a FIN a partition swallows): drop it at once.
    if (!this.dead) (this.client as unknown as RawClient).connection.stream.destroy();
    this.die(error);
  }

  /** Closes politely; a server that does not answer within a second gets the socket dropped. */
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
        () => {
          guard.unsubscribe();
          resolve();
        },
      );
    });
    this.dead = true;
  }

  private send<T>(run: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(notConnected());
    const sentAt = this.scheduler.now();
    if (this.outstanding++ === 0) this.lastProgress = sentAt;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const abandon = (error: unknown) => {
        if (settled) return;
        settled = true;
        this.outstanding--;
        reject(toToozError(error, 'a statement'));
      };
      const entry = this.inFlight.add(abandon);
      run().then(
        (result) => {
          this.inFlight.delete(entry);
          if (settled) return;
          settled = true;
          this.settle(sentAt);
          resolve(result);
        },
        (error: unknown) => {
          this.inFlight.delete(entry);
          if (settled) return;
          settled = true;
          // A server error is an answer too; a broken connection's is not, and ends the session.
          const broken = isConnectionFailure(error);
          this.settle(broken ? undefined : sentAt);
          if (broken) this.die(error);
          reject(broken ? toToozError(error, 'a statement') : error);
        },
      );
    });
  }

  private settle(sentAt: number | undefined): void {
    this.outstanding--;
    if (sentAt !== undefined && sentAt > this.provenAt) this.provenAt = sentAt;
    this.lastProgress = this.scheduler.now();
    if (this.stalledSince !== undefined && sentAt !== undefined) {
      this.stalledSince = undefined;
      this.handlers?.resumed();
    }
  }

  private check(): void {
    if (this.dead) return;
    const now = this.scheduler.now();
    if (this.outstanding === 0) {
      if (now - this.lastProgress >= this.timeouts.keepaliveInterval) {
        this.send(() => this.client.ping()).catch(noop);
      }
      return;
    }
    if (this.stalledSince === undefined && now - this.lastProgress >= this.timeouts.keepaliveTimeout) {
      this.stalledSince = now;
      this.handlers?.stalled();
    }
  }

  /** One timer due at the deadline; replies move the deadline, and an early firing re-arms for it. */
  private armDeadline(): void {
    if (this.dead) return;
    const due = Math.max(0, this.deadline - this.scheduler.now());
    this.deadlineTimer = timer(due, this.scheduler).subscribe(() => {
      if (this.dead) return;
      if (this.scheduler.now() < this.deadline) return this.armDeadline();
      this.destroy(
        new ConnectionError(
          `MySQL answered nothing for ${this.timeouts.sessionTimeout - this.timeouts.margin} ms: session given up before the server can end it`,
          { retryable: true },
        ),
      );
    });
  }

  private die(error: unknown): void {
    if (this.dead && !this.handlers) return;
    this.dead = true;
    this.watchdog?.unsubscribe();
    this.deadlineTimer?.unsubscribe();
    const handlers = this.handlers;
    this.handlers = undefined;
    for (const abandon of this.inFlight.clear()) abandon(error);
    if (handlers && !this.closing) handlers.died(error);
  }
}

/** The part of mysql2's connection object its typings leave out: the socket. */
interface RawClient {
  readonly connection: { readonly stream: { destroy(): void } };
}
