import { ConnectionError, deadlinePromise, type SessionSignal } from '@tooz/core/driver';
import { createClient, State } from 'node-zookeeper-client';
import { type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import type { ZookeeperSettings } from '../options.js';
import { ZkClient } from './client.js';

/** A session that is usable again: the same one after a reconnection, or a new one after a loss. */
export interface Recovery {
  readonly client: ZkClient;
  /** True after a loss: the ephemeral nodes and watches of the old session are gone. */
  readonly newSession: boolean;
}

type Phase = 'starting' | 'connected' | 'suspended' | 'lost' | 'closed';

/** The liveness check runs at least this often (ms), whatever it computed. */
const MAX_CHECK_INTERVAL = 1_000;
/** How long close() waits for the server to acknowledge the end of the session. */
const CLOSE_WAIT = 2_000;

/**
 * The driver's connection: one ZooKeeper session at a time, and the session
 * signals core turns into `state$`.
 *
 * node-zookeeper-client reports disconnections and expiry, but has no read
 * timeout: a server that stops answering (paused, partitioned) goes
 * unnoticed for ever. So this class watches the session itself, on the
 * scheduler, as the Java client does:
 * - it pings when nothing was answered for a third of the session timeout;
 * - after two thirds without an answer it reports `suspended` and drops the
 *   socket, so the client tries the next server;
 * - once the server may have expired the session (the send time of the last
 *   answered request plus the timeout, minus a margin) it reports `lost`
 *   *before* another client can be handed this session's locks, and starts
 *   a new session.
 * A server-side expiry (`expired`) is reported `lost` at once. After a loss,
 * `reconnected` follows when the new session is established.
 */
export class ZkConnection {
  private readonly signals = new Subject<SessionSignal>();
  readonly signals$: Observable<SessionSignal> = this.signals.asObservable();
  private readonly recoveries = new Subject<Recovery>();
  /** Emits after every reconnection: watchers re-arm and tell core to re-read. */
  readonly recovered$: Observable<Recovery> = this.recoveries.asObservable();
  private phase: Phase = 'starting';
  private session: ZkClient;
  private tick: Subscription | undefined;
  private pinging = false;
  private lastAttempt = 0;
  private started: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  private constructor(
    private readonly settings: ZookeeperSettings,
    private readonly scheduler: SchedulerLike,
    private readonly requestedTimeout: number,
    /** The client library's wait between two rounds over the server list when none answers. */
    private readonly spinDelay: number,
  ) {
    this.session = this.newClient();
  }

  /** Connects, and resolves once the first session is established. */
  static async open(
    settings: ZookeeperSettings,
    scheduler: SchedulerLike,
    sessionTimeout: number,
    spinDelay: number,
  ): Promise<ZkConnection> {
    const connection = new ZkConnection(settings, scheduler, sessionTimeout, spinDelay);
    const started = new Promise<void>((resolve, reject) => {
      connection.started = { resolve, reject };
    });
    const hosts = settings.hosts.join(',');
    const tooLate = () =>
      new ConnectionError(`Could not connect to ZooKeeper at ${hosts} within ${settings.connectTimeout} ms`);
    await deadlinePromise(started, settings.connectTimeout, scheduler, tooLate).catch((error: unknown) => {
      connection.failStart(error);
      throw error;
    });
    connection.check();
    return connection;
  }

  /** The current session: requests go to it (queued by the client while it reconnects). */
  get client(): ZkClient {
    return this.session;
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** The session timeout the server granted (ms). */
  get sessionTimeout(): number {
    return this.session.raw.getSessionTimeout();
  }

  /**
   * Whether what `client` was just told can be handed out: it is the current
   * session and the server cannot have expired it yet. A process stalled past
   * the session timeout reads the answers waiting in its socket before its
   * next timer runs; so this runs the liveness check first, which reports the
   * loss before anything of the dead session is granted.
   */
  vouchesFor(client: ZkClient): boolean {
    if (client !== this.session || this.phase === 'closed') return false;
    if (this.scheduler.now() - client.lastAnswered < lossAfter(client.raw.getSessionTimeout())) return true;
    this.check();
    return false;
  }

  /**
   * Until when the current session is proven alive: the send of its last
   * answered request plus the timeout, minus a margin. Once passed, the
   * liveness check runs at once, so the loss is this driver's own report.
   * Infinity while no session holds anything (starting, lost, closed).
   */
  deadline(): number {
    if (this.phase !== 'connected' && this.phase !== 'suspended') return Number.POSITIVE_INFINITY;
    const client = this.session;
    const deadline = client.lastAnswered + lossAfter(client.raw.getSessionTimeout());
    if (this.scheduler.now() >= deadline) this.check();
    return deadline;
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.tick?.unsubscribe();
    const client = this.session;
    if (client.raw.getState() === State.SYNC_CONNECTED) {
      // Closing the session deletes its ephemeral nodes now rather than at expiry.
      const closed = new Promise<void>((resolve) => client.raw.once('disconnected', () => resolve()));
      client.raw.close();
      await deadlinePromise(closed, CLOSE_WAIT, this.scheduler, () => new Error('close unanswered')).catch(() => {});
    }
    client.abandon();
    this.signals.complete();
    this.recoveries.complete();
  }

  private failStart(error: unknown): void {
    const started = this.started;
    this.started = undefined;
    this.phase = 'closed';
    this.session.abandon();
    started?.reject(error);
  }

  private newClient(): ZkClient {
    const raw = createClient(this.settings.hosts.join(','), {
      sessionTimeout: this.requestedTimeout,
      spinDelay: this.spinDelay,
      retries: 0,
    });
    const { auth } = this.settings;
    if (auth) raw.addAuthInfo('digest', Buffer.from(`${auth.username}:${auth.password}`));
    const client = new ZkClient(raw, () => this.scheduler.now());
    raw.on('state', (state: State) => this.onState(client, state));
    this.lastAttempt = this.scheduler.now();
    raw.connect();
    return client;
  }

  private onState(client: ZkClient, state: State): void {
    if (client !== this.session || this.phase === 'closed') return;
    const now = this.scheduler.now();
    if (state === State.SYNC_CONNECTED) {
      // The server renewed the session when the connect request came in: no earlier than it was sent.
      // Dating it from the answer would stretch the session by the answer's delay, past the server's expiry.
      client.lastAnswered = Math.max(client.lastAnswered, client.connectSentAt ?? now);
      if (this.phase === 'starting') {
        this.phase = 'connected';
        const started = this.started;
        this.started = undefined;
        started?.resolve();
      } else if (this.phase === 'suspended' || this.phase === 'lost') {
        const newSession = this.phase === 'lost';
        this.phase = 'connected';
        this.signals.next('reconnected');
        this.recoveries.next({ client, newSession });
      }
    } else if (state === State.DISCONNECTED) {
      if (this.phase === 'connected') this.suspend();
    } else if (state === State.EXPIRED) {
      if (this.phase === 'starting') this.failStart(new ConnectionError('The new ZooKeeper session expired at once'));
      else this.lose();
    } else if (state === State.AUTH_FAILED) {
      const refused = new ConnectionError(
        `ZooKeeper refused the credentials${this.settings.auth ? ` of user "${this.settings.auth.username}"` : ''}`,
        { retryable: false },
      );
      if (this.phase === 'starting') this.failStart(refused);
      else this.lose();
    }
  }

  private suspend(): void {
    this.phase = 'suspended';
    this.signals.next('suspended');
  }

  /** Gives the session up and starts a new one; everything the old one held is reported lost. */
  private lose(): void {
    if (this.phase === 'closed') return;
    const old = this.session;
    // Replaced first, so that what core does on `lost` already sees the old handles as stale.
    this.session = this.newClient();
    old.abandon();
    if (this.phase !== 'lost') {
      this.phase = 'lost';
      this.signals.next('lost');
    }
  }

  /** Drops the socket so the client tries the next server (a paused server leaves it waiting for ever). */
  private retryConnection(now: number): void {
    this.lastAttempt = now;
    this.session.dropConnection();
  }

  /** The liveness check; re-arms itself for the next instant something may be due. */
  private check(): void {
    if (this.phase === 'closed') return;
    // Re-armed first: whatever happens below, the session stays watched.
    this.tick?.unsubscribe();
    this.tick = this.scheduler.schedule(() => this.check(), MAX_CHECK_INTERVAL);
    const now = this.scheduler.now();
    const client = this.session;
    const timeout = client.raw.getSessionTimeout();
    const pingAfter = timeout / 3;
    const suspectAfter = (timeout * 2) / 3;
    const loseAfter = lossAfter(timeout);
    // A handshake takes a few round trips: one that hangs (a paused or starting server) is dropped
    // long before the session timeout, so every server of the list gets its chance in time.
    const attemptEvery = Math.min(2_000, Math.max(250, timeout / (3 * this.settings.hosts.length)));
    const silent = now - client.lastAnswered;
    const due: number[] = [];
    if (this.phase === 'connected') {
      if (silent >= suspectAfter) {
        this.suspend();
        this.retryConnection(now);
      } else if (silent >= pingAfter && !this.pinging) {
        this.pinging = true;
        client.ping().then(
          () => this.pinged(),
          () => this.pinged(),
        );
      }
    }
    if (this.phase === 'suspended' && silent >= loseAfter) this.lose();
    else if (this.phase !== 'connected' && now - this.lastAttempt >= attemptEvery) this.retryConnection(now);
    const last = this.session.lastAnswered;
    if (this.phase === 'connected') due.push(last + (this.pinging ? suspectAfter : pingAfter));
    if (this.phase === 'suspended') due.push(last + loseAfter);
    if (this.phase !== 'connected') due.push(this.lastAttempt + attemptEvery);
    const delay = Math.max(1, Math.min(...due) - now);
    this.tick?.unsubscribe();
    this.tick = this.scheduler.schedule(() => this.check(), delay);
  }

  private pinged(): void {
    this.pinging = false;
  }
}

/** Silence after which the server may have expired a session (ms): its timeout less a margin. */
function lossAfter(timeout: number): number {
  return timeout - Math.max(1, Math.floor(timeout / 10));
}
