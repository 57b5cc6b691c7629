import type { Backoff } from '@tooz/core/driver';
import type { Etcd3, IDuplexStream, IWatchCreateRequest, IWatchRequest, IWatchResponse } from 'etcd3';
import type { SchedulerLike, Subscription } from 'rxjs';
import { endSoon } from './client.js';

export interface WatchHandlers {
  /** The server confirmed the watch; `revision` is its header revision. */
  created(revision: bigint): void;
  /** Events, or a progress notification (no events). */
  response(response: IWatchResponse): void;
  /** The server dropped the watch because the revision it starts from was compacted. */
  compacted(): void;
}

export interface WatchEntry {
  /** Built at each (re-)creation, so a watch resumes from what it has delivered so far. */
  readonly request: () => IWatchCreateRequest;
  readonly handlers: WatchHandlers;
  id?: string;
}

/**
 * The session's one gRPC watch stream, carrying every watch. It replaces
 * etcd3's WatchManager, which (1.1.2) gets stuck when etcd answers a create
 * with "created and cancelled" (its attach queue never advances, so every
 * later watch waits for ever; etcd does that to a create sent with a token
 * the restarted server no longer knows), and resumes from the wrong revision
 * after a reconnect (see resumableWatch). Creates go one at a time, each
 * answer matched to the one in flight, as etcd before 3.4 ignores
 * client-chosen watch ids. A broken stream is reopened after a backoff (the
 * user's retry options) and every watch re-created; a create refused for
 * any reason but compaction is taken for a stale auth token: the token is
 * refreshed and the stream reopened.
 */
export class WatchStream {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private opening = false;
  private readonly entries = new Set<WatchEntry>();
  private readonly byId = new Map<string, WatchEntry>();
  private queue: WatchEntry[] = [];
  private creating: WatchEntry | undefined;
  private reopen: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly scheduler: SchedulerLike,
    private readonly backoff: Backoff,
    /** Makes the client re-authenticate if its token went stale (a unary call does). */
    private readonly refreshAuth: () => Promise<unknown>,
  ) {}

  attach(request: () => IWatchCreateRequest, handlers: WatchHandlers): WatchEntry {
    const entry: WatchEntry = { request, handlers };
    this.entries.add(entry);
    if (this.stream) {
      this.queue.push(entry);
      this.next();
    } else {
      this.open();
    }
    return entry;
  }

  detach(entry: WatchEntry): void {
    if (!this.entries.delete(entry)) return;
    this.queue = this.queue.filter((queued) => queued !== entry);
    if (entry.id !== undefined) {
      this.byId.delete(entry.id);
      this.stream?.write({ cancel_request: { watch_id: entry.id } });
      entry.id = undefined;
    }
    // One still being created is cancelled when its confirmation arrives. An idle stream costs
    // nothing and saves the next watch a stream of its own, so it stays open.
  }

  close(): void {
    this.closed = true;
    this.entries.clear();
    this.shut();
  }

  private open(): void {
    if (this.stream || this.opening || this.closed || this.entries.size === 0) return;
    this.reopen?.unsubscribe();
    this.reopen = undefined;
    this.opening = true;
    this.client.watchClient.watch().then(
      (stream) => {
        this.opening = false;
        if (this.closed || this.entries.size === 0) return endSoon(stream, this.scheduler);
        this.stream = stream;
        stream.on('data', (response) => this.onResponse(stream, response));
        stream.on('error', () => this.onBroken(stream));
        stream.on('end', () => this.onBroken(stream));
        this.queue = [...this.entries];
        this.next();
      },
      () => {
        this.opening = false;
        this.scheduleReopen();
      },
    );
  }

  private next(): void {
    if (!this.stream || this.creating) return;
    const entry = this.queue.shift();
    if (!entry) return;
    this.creating = entry;
    this.stream.write({ create_request: entry.request() });
  }

  private onResponse(stream: IDuplexStream<IWatchRequest, IWatchResponse>, response: IWatchResponse): void {
    if (stream !== this.stream) return;
    this.backoff.reset();
    if (response.created) return this.onCreated(stream, response);
    const entry = this.byId.get(response.watch_id);
    // Nothing: the last words of a watch cancelled here.
    if (!entry) return;
    if (response.canceled) {
      this.byId.delete(response.watch_id);
      entry.id = undefined;
      if (response.compact_revision !== '0') return entry.handlers.compacted();
      // Dropped for another reason: make it again.
      this.queue.push(entry);
      return this.next();
    }
    entry.handlers.response(response);
  }

  private onCreated(stream: IDuplexStream<IWatchRequest, IWatchResponse>, response: IWatchResponse): void {
    const entry = this.creating;
    this.creating = undefined;
    if (response.canceled) {
      if (entry && this.entries.has(entry) && response.compact_revision !== '0') {
        entry.handlers.compacted();
        return this.next();
      }
      // Refused (etcd says "permission denied" for a stale token too): re-authenticate, then start over.
      if (entry && this.entries.has(entry)) this.queue.unshift(entry);
      this.refreshAuth().then(
        () => this.restart(stream),
        () => this.restart(stream),
      );
      return;
    }
    if (entry && this.entries.has(entry)) {
      entry.id = response.watch_id;
      this.byId.set(response.watch_id, entry);
      entry.handlers.created(BigInt(response.header.revision));
    } else {
      stream.write({ cancel_request: { watch_id: response.watch_id } });
    }
    this.next();
  }

  private restart(stream: IDuplexStream<IWatchRequest, IWatchResponse>): void {
    if (stream !== this.stream) return;
    this.onBroken(stream);
  }

  private onBroken(stream: IDuplexStream<IWatchRequest, IWatchResponse>): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    endSoon(stream, this.scheduler);
    this.creating = undefined;
    this.queue = [];
    this.byId.clear();
    for (const entry of this.entries) entry.id = undefined;
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopen || this.entries.size === 0) return;
    this.reopen = this.scheduler.schedule(() => {
      this.reopen = undefined;
      this.open();
    }, this.backoff.next());
  }

  private shut(): void {
    this.reopen?.unsubscribe();
    this.reopen = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.creating = undefined;
    this.queue = [];
    this.byId.clear();
    if (stream) endSoon(stream, this.scheduler);
  }
}
