import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConnectionError } from '@tooz/core/driver';
import type { SchedulerLike, Subscription } from 'rxjs';
import { type Expect, type Reply, ReplyReader } from './reply.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** TLS settings (memcached -Z), or undefined for plain TCP. */
  readonly tls: TlsConnectionOptions | undefined;
  /** memcached's ASCII authentication (-Y): a `set` of "user password" before anything else. */
  readonly auth: { readonly user: string; readonly password: string } | undefined;
  readonly connectTimeout: number;
  /** A reply this late means the link is dead: the connection is dropped (pipelined replies cannot be skipped). */
  readonly requestTimeout: number;
}

interface Pending {
  readonly expect: Expect;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  /** scheduler.now() by which its reply must have come. */
  readonly deadline: number;
}

/**
 * One socket to memcached, with requests pipelined: replies come back in
 * the order the requests were written, so each reply settles the oldest
 * pending request. Any failure (a socket error, a reply past its deadline,
 * a protocol error the driver did not ask for) drops the whole connection
 * and fails everything pending: the owner makes a new one.
 */
export class McConnection {
  private readonly reader = new ReplyReader();
  private readonly pending: Pending[] = [];
  private dead: Error | undefined;
  private onDeath: ((error: Error) => void) | undefined;
  /**
   * One timer for every pending request, not one each (a timer per request
   * cost more than the request): it fires at the oldest one's deadline and
   * is armed again for the next oldest.
   */
  private watchdog: Subscription | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly endpoint: Endpoint,
    private readonly scheduler: SchedulerLike,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.die(new ConnectionError('memcached connection failed', { cause: error })));
    socket.on('close', () => this.die(new ConnectionError('memcached closed the connection')));
  }

  /** Connects, logs in if asked, and proves the link with a no-op. */
  static async open(endpoint: Endpoint, scheduler: SchedulerLike): Promise<McConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const options = { host: endpoint.host, port: endpoint.port };
      const socket = endpoint.tls
        ? tlsConnect({ ...endpoint.tls, ...options, servername: endpoint.tls.servername ?? endpoint.host })
        : netConnect(options);
      const timer = scheduler.schedule(() => {
        socket.destroy();
        reject(
          new ConnectionError(
            `memcached at ${endpoint.host}:${endpoint.port} did not answer within ${endpoint.connectTimeout} ms`,
          ),
        );
      }, endpoint.connectTimeout);
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        timer.unsubscribe();
        resolve(socket);
      });
      socket.once('error', (error) => {
        timer.unsubscribe();
        reject(new ConnectionError(`memcached at ${endpoint.host}:${endpoint.port} is unreachable`, { cause: error }));
      });
    });
    const connection = new McConnection(socket, endpoint, scheduler);
    try {
      if (endpoint.auth) {
        const token = `${endpoint.auth.user} ${endpoint.auth.password}`;
        const reply = await connection.send(`set auth 0 0 ${Buffer.byteLength(token)}\r\n${token}\r\n`);
        if (reply.kind !== 'status' || reply.code !== 'STORED') {
          throw new ConnectionError('memcached refused the credentials', { retryable: false });
        }
      }
      const hello = await connection.send('mn\r\n');
      if (hello.kind === 'error') {
        const denied = /auth/i.test(hello.message);
        throw new ConnectionError(denied ? 'memcached requires authentication' : `memcached said ${hello.message}`, {
          retryable: !denied,
        });
      }
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Called once, when the connection dies for any reason other than close(). */
  whenDead(callback: (error: Error) => void): void {
    if (this.dead) callback(this.dead);
    else this.onDeath = callback;
  }

  /** Writes a request; resolves with its reply. Dated from the write: the deadline starts now. */
  send(request: string | Buffer, expect: Expect = 'meta'): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ expect, resolve, reject, deadline: this.scheduler.now() + this.endpoint.requestTimeout });
      this.arm();
      this.socket.write(request);
    });
  }

  private arm(): void {
    const head = this.pending[0];
    if (this.watchdog || this.dead || !head) return;
    this.watchdog = this.scheduler.schedule(
      () => {
        this.watchdog = undefined;
        const oldest = this.pending[0];
        if (oldest && this.scheduler.now() >= oldest.deadline) {
          this.die(new ConnectionError(`memcached did not answer within ${this.endpoint.requestTimeout} ms`));
        } else {
          this.arm();
        }
      },
      Math.max(0, head.deadline - this.scheduler.now()),
    );
  }

  close(): void {
    this.onDeath = undefined;
    this.die(new ConnectionError('memcached connection closed', { retryable: false }));
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const reply = this.reader.next(head.expect);
      if (!reply) return;
      this.pending.shift();
      head.resolve(reply);
    }
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    this.socket.destroy();
    this.reader.clear();
    this.watchdog?.unsubscribe();
    this.watchdog = undefined;
    for (const request of this.pending.splice(0)) request.reject(error);
    this.onDeath?.(error);
  }
}
