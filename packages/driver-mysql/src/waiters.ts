import { deadlinePromise, type LockChange, SharedWatches, sleep } from '@tooz/core/driver';
import type { SchedulerLike } from 'rxjs';
import { type Connection, type ConnectionOptions, createConnection, type RowDataPacket } from 'mysql2/promise';
import { EMPTY, Observable } from 'rxjs';
import { WAIT_FOR_RELEASE } from './sql.js';

/** Seconds one server-side wait lasts before the loop asks again (GET_LOCK's timeout unit). */
const WAIT_SECONDS = 1;
/** After a wake-up, ms before waiting again: the session's attempt goes first rather than meet the waiter's grab. */
const AFTER_WAKE = 5;

/**
 * Wakes a waiting lock when its holder lets go, without polling: a few
 * connections set aside for waiting (`waitConnections`, bounded) each block
 * in the server's own `GET_LOCK(name, 1)` and, in the same statement, give
 * the lock straight back (`RELEASE_LOCK`), then tell core `released`; core
 * then tries on the session connection, where every hold lives. The waiting
 * connection holds the lock only within that one statement, so nothing is
 * ever held outside the session; it can make another attempt fail at that
 * instant, which is then retried at its next wake-up or poll. With every
 * waiting connection busy, or one failing, a waiter falls back to core's
 * polling (`changes()` completes).
 */
export class Waiters {
  private readonly idle: Connection[] = [];
  private open = 0;
  private readonly dropped = new WeakSet<Connection>();
  private closed = false;
  private readonly watches = new SharedWatches<string, LockChange>((name) => this.wait(name));

  constructor(
    private readonly config: ConnectionOptions,
    private readonly max: number,
    private readonly scheduler: SchedulerLike,
    /** ms a wait may go unanswered before its connection is dropped (a partition). */
    private readonly patience: number,
  ) {}

  changes(lockName: string): Observable<LockChange> {
    return this.max > 0 ? this.watches.get(lockName) : EMPTY;
  }

  close(): void {
    this.closed = true;
    for (const connection of [...this.idle]) this.drop(connection);
  }

  private wait(lockName: string): Observable<LockChange> {
    return new Observable<LockChange>((subscriber) => {
      let stopped = false;
      const loop = async () => {
        const connection = await this.take();
        if (!connection) return subscriber.complete();
        try {
          while (!stopped && !this.closed) {
            const [[row]] = await deadlinePromise(
              connection.execute<RowDataPacket[]>(WAIT_FOR_RELEASE, [lockName, WAIT_SECONDS, lockName]),
              WAIT_SECONDS * 1_000 + this.patience,
              this.scheduler,
              () => new Error('MySQL: a waiting connection went silent'),
            );
            if (Number(row?.got) === 1 && !stopped) {
              subscriber.next({ type: 'released' });
              await sleep(AFTER_WAKE, this.scheduler);
            }
          }
          this.give(connection);
        } catch {
          this.drop(connection);
          if (!stopped) subscriber.complete();
        }
      };
      void loop();
      return () => {
        stopped = true;
      };
    });
  }

  private async take(): Promise<Connection | undefined> {
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.open >= this.max || this.closed) return undefined;
    this.open++;
    try {
      const connection = await createConnection(this.config);
      connection.on('error', () => this.drop(connection));
      // An idle waiting connection the server ended (its wait_timeout) is replaced on next need.
      connection.on('end', () => this.drop(connection));
      return connection;
    } catch {
      this.open--;
      return undefined;
    }
  }

  private give(connection: Connection): void {
    if (this.closed) return this.drop(connection);
    this.idle.push(connection);
  }

  private drop(connection: Connection): void {
    if (this.dropped.has(connection)) return;
    this.dropped.add(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    this.open--;
    // mysql2's destroy() ends the socket politely; a wait cut off by a partition needs it dropped.
    (connection as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}
