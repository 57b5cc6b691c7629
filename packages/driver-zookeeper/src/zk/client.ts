import type { ACL, Client, Event, Stat, Transaction } from 'node-zookeeper-client';
import { isConnectionFailure, SessionGoneError } from '../errors.js';

export type Watcher = (event: Event) => void;

export interface NodeData {
  readonly data: Buffer;
  readonly stat: Stat;
}

export interface Children {
  readonly children: string[];
  /** The parent's stat: `cversion` counts child changes, `pzxid` is the zxid of the last one. */
  readonly stat: Stat;
}

type Callback<T> = (error: unknown, value?: T) => void;
/** A reply: an error (null when none), or the value. */
export type Reply<T> = (error: unknown, value: T | undefined) => void;

/** A zxid (8 bytes, big-endian) as a bigint. */
export function zxid(bytes: Buffer): bigint {
  return bytes.readBigUInt64BE(0);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One ZooKeeper session (one node-zookeeper-client instance), with promise
 * calls. Two things the client library does not do are done here:
 * - it records when the server last answered (the send time of the latest
 *   answered request), which the liveness monitor needs, since the library
 *   never notices a server that stopped answering;
 * - requests it would leave pending for ever (queued when the session
 *   expired) fail once the session is abandoned.
 */
export class ZkClient {
  /** Send time of the latest request the server answered (scheduler clock). */
  lastAnswered: number;
  /**
   * When the latest connect request went out (scheduler clock), or undefined
   * if the library's internals could not be hooked. The server renews the
   * session when that request comes in, so this, not the answer's arrival,
   * bounds the renewal from below.
   */
  connectSentAt: number | undefined;
  private readonly outstanding = new Set<(error: unknown) => void>();
  private abandoned = false;

  constructor(
    readonly raw: Client,
    private readonly now: () => number,
  ) {
    this.lastAnswered = now();
    const manager = internals(raw);
    const connected = manager?.onSocketConnected;
    if (manager && typeof connected === 'function') {
      const record = () => {
        this.connectSentAt = now();
      };
      // Read by the library on each connection attempt, just before it writes the connect request.
      manager.onSocketConnected = function (this: unknown, ...args: unknown[]) {
        record();
        return connected.apply(this, args);
      };
    }
  }

  get isAbandoned(): boolean {
    return this.abandoned;
  }

  /** The server-assigned session id, as ZooKeeper stores it in `ephemeralOwner`. */
  get sessionId(): Buffer {
    return this.raw.getSessionId();
  }

  create(path: string, data: Uint8Array | undefined, acl: ACL[], mode: number): Promise<string> {
    return this.request(createOp(this.raw, path, data, acl, mode));
  }

  remove(path: string, version = -1): Promise<void> {
    return this.request(removeOp(this.raw, path, version));
  }

  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    return this.request(existsOp(this.raw, path, watcher));
  }

  getData(path: string, watcher?: Watcher): Promise<NodeData> {
    return this.request<NodeData>((done) => {
      const callback = (error: unknown, data: Buffer, stat: Stat) =>
        done(error, { data: data ?? Buffer.alloc(0), stat });
      if (watcher) this.raw.getData(path, watcher, callback);
      else this.raw.getData(path, callback);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<Children> {
    return this.request(childrenOp(this.raw, path, watcher));
  }

  /** Callback flavours of the calls on the lock's hot path: no promise per request. */
  readonly direct = {
    create: (path: string, data: Uint8Array, acl: ACL[], mode: number, reply: Reply<string>) =>
      this.send(createOp(this.raw, path, data, acl, mode), reply),
    exists: (path: string, watcher: Watcher | undefined, reply: Reply<Stat | null>) =>
      this.send(existsOp(this.raw, path, watcher), reply),
    getChildren: (path: string, reply: Reply<Children>) => this.send(childrenOp(this.raw, path, undefined), reply),
  };

  setData(path: string, data: Uint8Array, version = -1): Promise<Stat> {
    return this.request<Stat>((done) => this.raw.setData(path, asBuffer(data), version, done));
  }

  /** Creates the path and any missing parents (persistent, empty). */
  mkdirp(path: string, acl: ACL[]): Promise<void> {
    return this.request<void>((done) => this.raw.mkdirp(path, acl, (error) => done(error)));
  }

  /** A multi-op transaction: all or nothing. */
  commit(build: (transaction: Transaction) => void): Promise<void> {
    return this.request<void>((done) => {
      const transaction = this.raw.transaction();
      build(transaction);
      transaction.commit((error) => done(error));
    });
  }

  /** The cheapest request there is: proves the server still answers this session. */
  ping(): Promise<unknown> {
    return this.exists('/');
  }

  /** Closes the socket; the client reconnects (to the next server of the list) within the same session. */
  dropConnection(): void {
    internals(this.raw)?.socket?.destroy();
  }

  /** Gives the session up: pending requests fail (asynchronously), the client stops reconnecting. */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    const pending = [...this.outstanding];
    this.outstanding.clear();
    // Not from inside the caller (a state change, the liveness check): the failures run their own code.
    queueMicrotask(() => {
      const gone = new SessionGoneError();
      for (const fail of pending) fail(gone);
    });
    this.raw.removeAllListeners();
    // Swallow the errors and events of a client nobody listens to any more.
    this.raw.on('error', () => undefined);
    try {
      this.raw.close();
    } catch {
      // The library can trip over its own state while closing a session that never connected.
    } finally {
      this.dropConnection();
    }
  }

  private request<T>(invoke: Invoke<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.send(invoke, (error, value) => {
        if (error) reject(error);
        else resolve(value as T);
      }),
    );
  }

  /** Sends one request; `reply` is called exactly once, even if the session is abandoned first. */
  private send<T>(invoke: Invoke<T>, reply: Reply<T>): void {
    if (this.abandoned) {
      queueMicrotask(() => reply(new SessionGoneError(), undefined));
      return;
    }
    const sentAt = this.now();
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      this.outstanding.delete(fail);
      reply(error, undefined);
    };
    this.outstanding.add(fail);
    try {
      invoke((error, value) => {
        if (settled) return;
        settled = true;
        this.outstanding.delete(fail);
        if (!isConnectionFailure(error) && sentAt > this.lastAnswered) this.lastAnswered = sentAt;
        reply(error ?? null, value);
      });
    } catch (error) {
      // The library asserts its arguments synchronously.
      fail(error);
    }
  }
}

type Invoke<T> = (done: Callback<T>) => void;

function createOp(raw: Client, path: string, data: Uint8Array | undefined, acl: ACL[], mode: number): Invoke<string> {
  return (done) => {
    if (data) raw.create(path, asBuffer(data), acl, mode, done);
    else raw.create(path, acl, mode, done);
  };
}

function removeOp(raw: Client, path: string, version: number): Invoke<void> {
  return (done) => raw.remove(path, version, (error) => done(error));
}

function existsOp(raw: Client, path: string, watcher: Watcher | undefined): Invoke<Stat | null> {
  return (done) => {
    const callback = (error: unknown, stat: Stat) => done(error, stat ?? null);
    if (watcher) raw.exists(path, watcher, callback);
    else raw.exists(path, callback);
  };
}

function childrenOp(raw: Client, path: string, watcher: Watcher | undefined): Invoke<Children> {
  return (done) => {
    const callback = (error: unknown, children: string[], stat: Stat) => done(error, { children, stat });
    if (watcher) raw.getChildren(path, watcher, callback);
    else raw.getChildren(path, callback);
  };
}

/**
 * node-zookeeper-client keeps its socket private and has no read timeout;
 * dropping the socket is the only way to make it move to another server.
 */
interface ConnectionManager {
  socket?: { destroy(): void };
  onSocketConnected?: (...args: unknown[]) => unknown;
}

function internals(client: Client): ConnectionManager | undefined {
  return (client as unknown as { connectionManager?: ConnectionManager }).connectionManager;
}
