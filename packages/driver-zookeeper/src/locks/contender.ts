import { ConnectionError, LossSignal, sleep } from '@tooz/core/driver';
import { CreateMode, Event, Exception } from 'node-zookeeper-client';
import type { Subscription } from 'rxjs';
import { isSessionGone, toToozError, zkCode } from '../errors.js';
import type { ZookeeperLockHandle } from '../locks.js';
import type { ZkContext } from '../session.js';
import { type Children, type Watcher, type ZkClient, zxid } from '../zk/client.js';
import { removeOwnNode } from '../zk/retry.js';
import { contenderPrefix, inQueueOrder, nodeName } from '../keys.js';

export type Outcome = { readonly held: true; readonly handle: ZookeeperLockHandle } | { readonly held: false };

/**
 * Per lock queue: a contender of this session that was abandoned while its
 * create was in flight, until the delete of its node has been sent. Later
 * contenders of the session on that queue wait for it, so they never find
 * it ahead of themselves.
 */
export type Departures = Map<string, Promise<void>>;

const noop = () => undefined;

/**
 * One contender in a lock queue: the fair recipe of Curator and kazoo. The
 * contender creates an ephemeral sequential node under the queue; the lowest
 * node holds the lock; every other contender watches only the node just
 * before its own (no herd: a release wakes one waiter). `try` mode gives up
 * and deletes its node instead of waiting.
 *
 * The first step sends three requests at once, which the server answers in
 * order: the queue's children, the create, the children again. One round
 * trip tells whether the lock is free, and when the queue's `cversion` moved
 * by exactly one between the two reads, the only change was this create, so
 * the queue's `pzxid` is the new node's creation zxid: the fencing token,
 * with no extra read. Otherwise the node's own stat gives it.
 *
 * A create lost with the connection may or may not have happened: the
 * contender looks for its node by its unique name prefix before creating
 * another. Every step checks its generation, so answers to a superseded
 * attempt (session lost, node deleted, cancelled) are ignored. The hot path
 * uses the client's callback calls: no promise per request.
 */
export class Contender {
  private generation = 0;
  private client: ZkClient | undefined;
  private path: string | undefined;
  private name: string | undefined;
  private token: bigint | undefined;
  private ownWatched = false;
  private createInFlight = false;
  /** A create was lost with the connection: the node may exist, under our prefix. */
  private maybeCreated = false;
  /** Set when the attempt is abandoned while its create is in flight: deletes what the create made. */
  private orphan: ((path: string | undefined, error: unknown) => void) | undefined;
  private readonly prefix = contenderPrefix();
  private done = false;
  private held = false;
  /** Released by its holder: our own delete is no loss. */
  private released = false;
  private readonly loss = new LossSignal();
  private readonly backoff;
  private mkdirs = 0;
  private ownWatcher: Watcher = noop;
  private predecessorWatcher: Watcher = noop;
  /** While waiting: a reconnection may have cost us a watch, and a new session our node. */
  private recoveries: Subscription | undefined;

  constructor(
    private readonly ctx: ZkContext,
    private readonly departures: Departures,
    private readonly queue: string,
    private readonly mode: 'wait' | 'try',
    private readonly settle: (outcome: Outcome) => void,
    private readonly fail: (error: unknown) => void,
  ) {
    this.backoff = ctx.backoff();
  }

  start(): void {
    const departure = this.departures.get(this.queue);
    if (departure) void departure.then(() => this.enqueue());
    else this.enqueue();
  }

  /** Abandons the attempt (not a hold: a held lock is released through its handle). */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.generation++;
    this.recoveries?.unsubscribe();
    this.giveBack();
  }

  private enqueue(): void {
    if (this.done) return;
    if (this.ctx.connection.isClosed) {
      return this.failWith(new ConnectionError('The ZooKeeper connection is closed', { retryable: false }));
    }
    const generation = ++this.generation;
    const client = this.ctx.connection.client;
    this.client = client;
    this.path = undefined;
    this.name = undefined;
    this.token = undefined;
    this.ownWatched = false;
    this.ownWatcher = (event) => this.onOwnEvent(generation, client, event);
    this.predecessorWatcher = () => this.check(generation, client);
    this.createInFlight = true;
    let before: Children | undefined;
    let created: string | undefined;
    let createError: unknown;
    const { direct } = client;
    direct.getChildren(this.queue, (error, children) => {
      if (!error) before = children;
    });
    direct.create(
      `${this.queue}/${this.prefix}`,
      this.ctx.memberData,
      this.ctx.acl,
      CreateMode.EPHEMERAL_SEQUENTIAL,
      (error, path) => {
        this.createInFlight = false;
        const orphan = this.orphan;
        this.orphan = undefined;
        if (error) createError = error;
        else created = path;
        // Abandoned while in flight: the orphan handler deletes what was made.
        if (orphan) return orphan(created, error);
        // Ours from now on, so that an abandon before the next answer deletes it.
        if (created !== undefined) this.adopt(generation, client, created);
      },
    );
    // Answered last (replies come in order): everything is in when it is.
    direct.getChildren(this.queue, (error, after) => {
      if (createError !== undefined) return this.onCreateFailed(generation, client, createError);
      if (created === undefined || generation !== this.generation || this.done) return;
      if (error || !after) return this.onReadFailed(generation, client, error);
      if (before && after.stat.cversion === before.stat.cversion + 1) this.token = zxid(after.stat.pzxid);
      this.evaluate(generation, client, after.children);
    });
  }

  /** Takes a created node as this attempt's own, or deletes it if the attempt is over or superseded. */
  private adopt(generation: number, client: ZkClient, path: string): boolean {
    if (this.done || generation !== this.generation) {
      void removeOwnNode(this.ctx, client, path).catch(noop);
      return false;
    }
    this.path = path;
    this.name = nodeName(path);
    return true;
  }

  private evaluate(generation: number, client: ZkClient, children: readonly string[]): void {
    if (generation !== this.generation || this.done) return;
    this.backoff.reset();
    const queue = inQueueOrder(children);
    const index = this.name === undefined ? -1 : queue.indexOf(this.name);
    // Our node was deleted behind our back (an administrator, a break): queue again.
    if (index < 0) return this.enqueue();
    if (index === 0) return this.acquired(generation, client);
    if (this.mode === 'try') {
      this.done = true;
      this.giveBack();
      this.settle({ held: false });
      return;
    }
    this.watchOwn(generation, client);
    this.followRecoveries();
    client.direct.exists(`${this.queue}/${queue[index - 1]}`, this.predecessorWatcher, (error, stat) => {
      if (error) this.onReadFailed(generation, client, error);
      else if (!stat) this.check(generation, client);
    });
  }

  private check(generation: number, client: ZkClient): void {
    if (generation !== this.generation || this.done) return;
    client.direct.getChildren(this.queue, (error, result) => {
      if (error || !result) this.onReadFailed(generation, client, error);
      else this.evaluate(generation, client, result.children);
    });
  }

  /**
   * A waiter has no request in flight to fail when its session ends: its
   * node and watches just vanish with it. So it queues again in the new
   * session, and looks again after a reconnection within the session.
   */
  private followRecoveries(): void {
    this.recoveries ??= this.ctx.connection.recovered$.subscribe(({ newSession }) => {
      const { client } = this;
      if (this.done || !client) return;
      if (newSession || client !== this.ctx.connection.client) this.enqueue();
      else this.check(this.generation, client);
    });
  }

  private acquired(generation: number, client: ZkClient): void {
    const path = this.path;
    if (path === undefined) return;
    if (this.token !== undefined) {
      // Armed after the grant: it does not delay it, and a deletion in between is still seen.
      this.watchOwn(generation, client);
      return this.grant(path, client, this.token);
    }
    this.ownWatched = true;
    client.direct.exists(path, this.ownWatcher, (error, stat) => {
      if (error) {
        this.ownWatched = false;
        return this.onReadFailed(generation, client, error);
      }
      if (generation !== this.generation || this.done) return;
      if (!stat) return this.enqueue();
      this.token = zxid(stat.czxid);
      this.grant(path, client, this.token);
    });
  }

  private grant(path: string, client: ZkClient, token: bigint): void {
    // Answered in a session the server may have expired (a stalled process): queue again in the next one.
    if (!this.ctx.connection.vouchesFor(client)) return this.enqueueLater(this.generation);
    this.done = true;
    this.held = true;
    this.recoveries?.unsubscribe();
    const forget = () => {
      this.released = true;
    };
    this.settle({ held: true, handle: { token, path, client, lost$: this.loss.lost$, forget } });
  }

  /** Watches our own node: its deletion means the hold (or the place in the queue) is gone. */
  private watchOwn(generation: number, client: ZkClient): void {
    const path = this.path;
    if (this.ownWatched || path === undefined) return;
    this.ownWatched = true;
    client.direct.exists(path, this.ownWatcher, (error, stat) => {
      if (generation !== this.generation) return;
      if (error) {
        this.ownWatched = false;
        if (!this.held) this.onReadFailed(generation, client, error);
        else this.rearmHeld(generation, client, error);
        return;
      }
      if (!stat) return this.onOwnDeleted(generation);
      this.token ??= zxid(stat.czxid);
    });
  }

  /**
   * A holder's watch request lost with the connection leaves no watch: without
   * another, a break of the lock would never be reported while the session
   * lives on. A lost session is reported by core, so only a connection loss
   * re-arms (the client queues the request until it has reconnected).
   */
  private rearmHeld(generation: number, client: ZkClient, error: unknown): void {
    if (isSessionGone(error) || zkCode(error) !== Exception.CONNECTION_LOSS) return;
    void this.pause().then(() => {
      if (this.released || this.loss.isLost || client !== this.ctx.connection.client || client.isAbandoned) return;
      this.watchOwn(generation, client);
    });
  }

  private onOwnEvent(generation: number, client: ZkClient, event: Event): void {
    if (generation !== this.generation) return;
    if (event.getType() === Event.NODE_DELETED) return this.onOwnDeleted(generation);
    this.ownWatched = false;
    this.watchOwn(generation, client);
  }

  private onOwnDeleted(generation: number): void {
    if (generation !== this.generation) return;
    if (this.held) {
      if (!this.released) this.loss.stolen();
    } else if (!this.done) {
      this.enqueue();
    }
  }

  private onCreateFailed(generation: number, client: ZkClient, error: unknown): void {
    if (generation !== this.generation || this.done) return;
    const code = zkCode(error);
    if (code === Exception.NO_NODE) {
      // The queue's parent does not exist yet (first use of this lock name).
      if (++this.mkdirs > 3) return this.failWith(toToozError(error, this.queue));
      client.mkdirp(this.queue, this.ctx.acl).then(
        () => this.enqueue(),
        (mkdirError: unknown) => this.onReadFailed(generation, client, mkdirError),
      );
      return;
    }
    if (code === Exception.CONNECTION_LOSS) {
      this.maybeCreated = true;
      return void this.recover(generation, client);
    }
    if (isSessionGone(error)) return this.enqueueLater(generation);
    this.failWith(toToozError(error, this.queue));
  }

  /** After a create lost with the connection: find the node if it was made, else create it. */
  private async recover(generation: number, client: ZkClient): Promise<void> {
    await this.pause();
    if (generation !== this.generation) return;
    let children: string[];
    try {
      ({ children } = await client.getChildren(this.queue));
    } catch (error) {
      return this.onReadFailed(generation, client, error);
    }
    const mine = children.find((name) => name.startsWith(this.prefix));
    this.maybeCreated = false;
    if (mine === undefined) return this.enqueue();
    if (!this.adopt(generation, client, `${this.queue}/${mine}`)) return;
    this.evaluate(generation, client, children);
  }

  private onReadFailed(generation: number, client: ZkClient, error: unknown): void {
    if (generation !== this.generation || this.done) return;
    const code = zkCode(error);
    // The session ended, or the queue itself was deleted: our node is gone with it.
    if (isSessionGone(error) || code === Exception.NO_NODE) return this.enqueueLater(generation);
    if (code === Exception.CONNECTION_LOSS) {
      void this.pause().then(() => this.check(generation, client));
      return;
    }
    this.failWith(toToozError(error, this.queue));
  }

  /** Queues again after a pause: a session that keeps failing at once must not spin the event loop. */
  private enqueueLater(generation: number): void {
    void this.pause().then(() => {
      if (generation === this.generation) this.enqueue();
    });
  }

  private pause(): Promise<void> {
    return sleep(this.backoff.next(), this.ctx.scheduler);
  }

  private failWith(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.recoveries?.unsubscribe();
    this.giveBack();
    this.fail(error);
  }

  /**
   * Deletes our node. The delete is sent at once when the node is known, so
   * whatever this session sends next reaches the server after it; when the
   * create is still in flight, later contenders of this session on the queue
   * wait until the delete has been sent.
   */
  private giveBack(): void {
    const { client, path } = this;
    this.path = undefined;
    if (!client) return;
    const { departures } = this;
    if (path !== undefined) {
      void removeOwnNode(this.ctx, client, path).catch(noop);
      return;
    }
    if (this.maybeCreated) {
      void this.sweep(client);
      return;
    }
    if (!this.createInFlight) return;
    let leave: () => void = noop;
    const departure = new Promise<void>((resolve) => {
      leave = resolve;
    });
    departures.set(this.queue, departure);
    const depart = () => {
      if (departures.get(this.queue) === departure) departures.delete(this.queue);
      leave();
    };
    this.orphan = (created, error) => {
      if (created !== undefined) void removeOwnNode(this.ctx, client, created).catch(noop);
      // A create lost with the connection may have happened: a node left behind would hold the queue for ever.
      if (created === undefined && zkCode(error) === Exception.CONNECTION_LOSS)
        return void this.sweep(client).then(depart);
      depart();
    };
  }

  /**
   * Deletes whatever node of ours a create lost with the connection made, found
   * by our unique name prefix; looks again through further connection losses.
   */
  private async sweep(client: ZkClient): Promise<void> {
    for (;;) {
      if (client !== this.ctx.connection.client || client.isAbandoned) return;
      try {
        const { children } = await client.getChildren(this.queue);
        const mine = children.filter((name) => name.startsWith(this.prefix));
        await Promise.all(mine.map((name) => removeOwnNode(this.ctx, client, `${this.queue}/${name}`).catch(noop)));
        return;
      } catch (error) {
        if (zkCode(error) !== Exception.CONNECTION_LOSS) return;
      }
      await this.pause();
    }
  }
}
