import {
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
  deadlinePromise,
  HoldRegistry,
  type SessionSignal,
  sleep,
} from '@tooz/core/driver';
import type { ConnectionOptions } from 'mysql2/promise';
import { filter, firstValueFrom, Subject } from 'rxjs';
import { MysqlConnection } from './connection.js';
import { notConnected, toToozError } from './errors.js';
import { MysqlGroups, type MysqlMemberHandle } from './groups.js';
import { MysqlKeys } from './keys.js';
import { type MysqlLockHandle, MysqlLocks } from './locks.js';
import type { MysqlSettings } from './options.js';
import { DDL, TABLES_PRESENT } from './sql.js';
import { resolveTimeouts, type Timeouts } from './timeouts.js';
import { Waiters } from './waiters.js';
import { clientConfig } from './client-config.js';

/** A lost session that may linger on the server (a cut connection) with what it held: the next session ends it. */
interface Grave {
  readonly id: number;
  readonly serverStart: number;
}

/**
 * One coordinator's presence in MySQL: one connection, whatever it holds.
 * Its server session *is* the coordinator's liveness: every GET_LOCK (locks,
 * leader seats, memberships) belongs to it and ends with it. When it ends
 * the coordinator is told `lost`, a new one is made, then `reconnected`.
 * When replies stop but the socket stays open the coordinator is
 * `suspended`; replies again mean `reconnected` with everything still held;
 * at the connection's deadline (timeouts.ts) it is dropped and `lost`.
 */
export class MysqlSession implements DriverSession<MysqlLockHandle, MysqlMemberHandle> {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks: MysqlLocks;
  readonly groups: MysqlGroups;
  readonly holds = new HoldRegistry<MysqlLockHandle | MysqlMemberHandle>();
  readonly keys: MysqlKeys;
  readonly memberBytes: Buffer;
  readonly waiters: Waiters;
  private current: MysqlConnection | undefined;
  private suspended = false;
  private closed = false;
  private graves: Grave[] = [];

  private constructor(
    readonly context: DriverContext,
    private readonly config: ConnectionOptions,
    readonly timeouts: Timeouts,
    settings: MysqlSettings,
  ) {
    this.keys = new MysqlKeys(context.namespace, settings.lockMode);
    this.memberBytes = Buffer.from(context.memberId, 'utf8');
    this.waiters = new Waiters(config, settings.waitConnections, context.scheduler, timeouts.keepaliveTimeout);
    this.locks = new MysqlLocks(this);
    this.groups = new MysqlGroups(this);
  }

  static async open(context: DriverContext, settings: MysqlSettings): Promise<MysqlSession> {
    const timeouts = resolveTimeouts(settings, context.ttl);
    const session = new MysqlSession(context, clientConfig(settings), timeouts, settings);
    session.current = await session.connect();
    return session;
  }

  /** The session connection: every statement runs on it, in order. */
  connection(): MysqlConnection {
    if (!this.current) throw notConnected();
    return this.current;
  }

  /**
   * Runs a read on the session connection; while it is being re-made (or
   * dies under the read) the read waits for the next one, up to the session
   * timeout. Core's poll-mode watchers end on a failed read, and a
   * reconnection is not worth ending them for.
   */
  async read<T>(statement: (connection: MysqlConnection) => Promise<T>): Promise<T> {
    const { scheduler } = this.context;
    const until = scheduler.now() + this.timeouts.sessionTimeout;
    for (;;) {
      const connection = this.current;
      if (connection?.alive) {
        try {
          return await statement(connection);
        } catch (error) {
          if (connection.alive || scheduler.now() >= until || this.closed) throw toToozError(error, 'a read');
        }
      } else if (scheduler.now() >= until || this.closed) {
        throw notConnected();
      }
      await this.reconnected(until - scheduler.now());
    }
  }

  /** Until when the server session is proven alive; nothing is proven while there is none. */
  sessionDeadline(): number {
    return this.current?.deadline ?? Number.NEGATIVE_INFINITY;
  }

  async diagnose(): Promise<DriverDiagnosis> {
    const connection = this.connection();
    return {
      server: {
        version: connection.version,
        connectionId: connection.id,
        waitTimeoutSeconds: this.timeouts.serverSeconds,
        sessionTimeoutMs: this.timeouts.sessionTimeout,
      },
      warnings: [],
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiters.close();
    const connection = this.current;
    this.current = undefined;
    await connection?.end();
    this.signals$.complete();
  }

  private async connect(): Promise<MysqlConnection> {
    const connection = await MysqlConnection.open(this.config, this.context.scheduler, this.timeouts);
    connection.watch({
      stalled: () => this.stalled(connection),
      resumed: () => this.resumed(connection),
      died: () => this.died(connection),
    });
    try {
      const [present] = await connection.rows(TABLES_PRESENT, []);
      if (Number(present?.n) < DDL.length) for (const ddl of DDL) await connection.query(ddl);
      await this.buryGraves(connection);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    if (!connection.alive) throw notConnected();
    return connection;
  }

  /** Resolves at the next `reconnected`, or after `ms`. */
  private reconnected(ms: number): Promise<void> {
    return deadlinePromise(
      firstValueFrom(this.signals$.pipe(filter((signal) => signal === 'reconnected'))).then(() => undefined),
      ms,
      this.context.scheduler,
      () => notConnected(),
    ).catch(() => undefined);
  }

  private stalled(connection: MysqlConnection): void {
    if (connection !== this.current || this.suspended) return;
    this.suspended = true;
    this.signals$.next('suspended');
  }

  private resumed(connection: MysqlConnection): void {
    if (connection !== this.current || !this.suspended) return;
    this.suspended = false;
    this.signals$.next('reconnected');
  }

  private died(connection: MysqlConnection): void {
    if (connection !== this.current || this.closed) return;
    this.current = undefined;
    this.suspended = false;
    if (this.holds.bury().length > 0) this.graves.push({ id: connection.id, serverStart: connection.serverStart });
    this.signals$.next('lost');
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const backoff = this.context.backoff();
    while (!this.closed) {
      try {
        const connection = await this.connect();
        if (this.closed) return connection.destroy();
        this.current = connection;
        this.signals$.next('reconnected');
        return;
      } catch {
        await sleep(backoff.next(), this.context.scheduler);
      }
    }
  }

  /**
   * A cut connection leaves its server session holding its GET_LOCKs until
   * `wait_timeout` ends it. The new session ends it at once (a user may
   * KILL its own sessions), so that others need not wait: only on the same
   * server run, since connection ids start again after a restart.
   */
  private async buryGraves(connection: MysqlConnection): Promise<void> {
    for (const grave of this.graves.splice(0)) {
      if (Math.abs(grave.serverStart - connection.serverStart) > 2 || grave.id >= connection.id) continue;
      await connection.query(`KILL CONNECTION ${Math.trunc(grave.id)}`).catch(() => undefined);
    }
  }
}
