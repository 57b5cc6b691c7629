import type { DriverContext, DriverDiagnosis, DriverSession, SessionSignal } from '@tooz/core/driver';
import { ConnectionError, PeriodicTask, sleep } from '@tooz/core/driver';
import { Subject, type Subscription } from 'rxjs';
import { unexpected } from './errors.js';
import { MemcachedGroups, type MemcachedMemberHandle } from './groups.js';
import { MemcachedKeys } from './keys.js';
import { MemcachedLocks, type MemcachedLockHandle } from './locks.js';
import type { MemcachedSettings } from './options.js';
import { type Endpoint, McConnection } from './protocol/connection.js';
import type { Expect, Reply } from './protocol/reply.js';

/** Which memcached process answers: a restart loses every key, and the CAS counter starts again. */
export interface ServerRun {
  readonly pid: string;
  /** Unix seconds when the process started (its `time` less its `uptime`). */
  readonly startedAt: number;
  /** Its `uptime` when read: a run younger than MATURE_UPTIME grants no fencing token yet. */
  readonly uptime: number;
}

/**
 * memcached's `uptime` starts at 2 and its clock ticks once a second. At 3,
 * the process has lived into a later wall-clock second than the one it
 * started in, so any process started after it has a greater `startedAt`:
 * tokens granted from here on stay below every token of a later run, even
 * when this process dies within a second of its start.
 */
const MATURE_UPTIME = 3;

/**
 * One coordinator's link to memcached: one pipelined connection, made again
 * with the user's backoff when it fails (`suspended` meanwhile). Holds are
 * kept by core's refreshes (liveness `ttl`); a restart of the server while
 * the link was down loses them all, which `verify()` tells core before it
 * reports `reconnected`.
 */
export class MemcachedSession implements DriverSession<MemcachedLockHandle, MemcachedMemberHandle> {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks: MemcachedLocks;
  readonly groups: MemcachedGroups;
  private connection: McConnection | undefined;
  private reconnecting: Subscription | undefined;
  private closed = false;
  /** An idle link is proven every request timeout, so a cut is noticed (and holds at-risk) even with nothing to refresh. */
  private readonly ping: PeriodicTask;
  private current: ServerRun;
  /** The run whose holds core still believes in (changes only when verify() reports the loss). */
  private trusted: ServerRun;

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly context: DriverContext,
    connection: McConnection,
    run: ServerRun,
  ) {
    this.current = run;
    this.trusted = run;
    this.ping = new PeriodicTask(context.scheduler, endpoint.requestTimeout, () =>
      this.send('mn\r\n').catch(() => undefined),
    );
    this.adopt(connection);
    this.ping.start();
    const keys = new MemcachedKeys(context.namespace);
    this.locks = new MemcachedLocks(this, keys, context.memberId);
    this.groups = new MemcachedGroups(this, keys, context.memberId);
  }

  static async open(settings: MemcachedSettings, context: DriverContext): Promise<MemcachedSession> {
    const endpoint = endpointOf(settings, context.ttl);
    const connection = await McConnection.open(endpoint, context.scheduler);
    try {
      return new MemcachedSession(endpoint, context, connection, await serverRun(connection));
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** The server process now answering (for tokens: its start time keeps them rising across restarts). */
  get run(): ServerRun {
    return this.current;
  }

  /**
   * The run now answering, once it is old enough to grant tokens (see
   * MATURE_UPTIME): waits out a server's first second or two, re-reading its
   * clock on this connection (a restart in between would end the connection).
   */
  get matured(): boolean {
    return this.current.uptime >= MATURE_UPTIME;
  }

  /** Resolves once the server has been up long enough that its TTL clock can be trusted. */
  async matureRun(): Promise<ServerRun> {
    while (this.current.uptime < MATURE_UPTIME) {
      await sleep(1_000 * (MATURE_UPTIME - this.current.uptime) - 500, this.context.scheduler);
      const connection = this.connection;
      if (!connection?.alive) throw new ConnectionError('memcached is unreachable (reconnecting)');
      const run = await serverRun(connection);
      if (connection === this.connection) this.current = run;
    }
    return this.current;
  }

  /** Sends one request (or several, pipelined, as one write); fails at once while the link is down. */
  send(request: string | Buffer, expect: Expect = 'meta'): Promise<Reply> {
    const connection = this.connection;
    if (!connection?.alive) return Promise.reject(new ConnectionError('memcached is unreachable (reconnecting)'));
    return connection.send(request, expect);
  }

  /** Several requests written at once; their replies in order. */
  sendAll(requests: readonly (string | Buffer)[]): Promise<Reply[]> {
    return Promise.all(requests.map((request) => this.send(request)));
  }

  verify(): Promise<boolean> {
    const same = sameRun(this.current, this.trusted);
    this.trusted = this.current;
    return Promise.resolve(same);
  }

  async diagnose(): Promise<DriverDiagnosis> {
    const stats = await this.stats();
    const settings = await this.send('stats settings\r\n', 'stats');
    const evicts = settings.kind === 'stats' ? settings.stats.get('evictions') !== 'off' : true;
    const warnings = evicts
      ? [
          'memcached may evict keys when full (run it with -M): an evicted lock key lets a second holder in before its TTL, and an evicted member looks left.',
        ]
      : [];
    return {
      server: { version: stats.get('version') ?? 'unknown', evictions: evicts ? 'on' : 'off (-M)' },
      warnings,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ping.stop();
    this.reconnecting?.unsubscribe();
    this.connection?.close();
    this.signals$.complete();
  }

  private async stats(): Promise<ReadonlyMap<string, string>> {
    const reply = await this.send('stats\r\n', 'stats');
    if (reply.kind !== 'stats') throw unexpected(reply, 'stats');
    return reply.stats;
  }

  private adopt(connection: McConnection): void {
    this.connection = connection;
    connection.whenDead(() => this.lostLink());
  }

  private lostLink(): void {
    if (this.closed || this.reconnecting) return;
    this.signals$.next('suspended');
    const backoff = this.context.backoff();
    const attempt = () => {
      this.reconnecting = this.context.scheduler.schedule(() => {
        McConnection.open(this.endpoint, this.context.scheduler)
          .then(async (connection) => {
            try {
              const run = await serverRun(connection);
              if (this.closed) return connection.close();
              this.current = run;
              this.reconnecting = undefined;
              this.adopt(connection);
              this.signals$.next('reconnected');
            } catch {
              connection.close();
              attempt();
            }
          })
          .catch(() => {
            if (!this.closed) attempt();
          });
      }, backoff.next());
    };
    attempt();
  }
}

const sameRun = (a: ServerRun, b: ServerRun) => a.pid === b.pid && a.startedAt === b.startedAt;

async function serverRun(connection: McConnection): Promise<ServerRun> {
  const reply = await connection.send('stats\r\n', 'stats');
  if (reply.kind !== 'stats') throw unexpected(reply, 'stats');
  const time = Number(reply.stats.get('time'));
  const uptime = Number(reply.stats.get('uptime'));
  const pid = reply.stats.get('pid') ?? '';
  if (!Number.isFinite(time) || !Number.isFinite(uptime)) throw unexpected(reply, 'stats without time');
  return { pid, startedAt: time - uptime, uptime };
}

/**
 * A reply later than a quarter of the TTL drops the link: a hold refreshed
 * every TTL/4 must learn that its refreshes are stuck while there is still
 * time before its deadline (core marks it at-risk on `suspended`).
 */
function endpointOf(settings: MemcachedSettings, ttl: number): Endpoint {
  // Only the keys given: node's tls.connect asserts on an explicit `checkServerIdentity: undefined`.
  const tls = settings.tls
    ? {
        ...(settings.tlsCa ? { ca: settings.tlsCa } : {}),
        ...(settings.tlsCert ? { cert: settings.tlsCert } : {}),
        ...(settings.tlsKey ? { key: settings.tlsKey } : {}),
        ...(settings.tlsCheckHostname ? {} : { checkServerIdentity: () => undefined }),
      }
    : undefined;
  return {
    host: settings.host,
    port: settings.port,
    tls,
    auth:
      settings.user !== undefined && settings.password !== undefined
        ? { user: settings.user, password: settings.password }
        : undefined,
    connectTimeout: settings.connectTimeout,
    requestTimeout: Math.max(1, Math.min(settings.requestTimeout, Math.floor(ttl / 4))),
  };
}
