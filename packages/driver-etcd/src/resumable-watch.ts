import type { IEvent, IWatchCreateRequest } from 'etcd3';
import type { WatchEntry, WatchStream } from './watch-stream.js';

export interface WatchTarget {
  readonly key: Buffer;
  /** Watch [key, end); a single key without it. */
  readonly end?: Buffer;
  /** Deliver events from this revision on (inclusive); from "now" without it. */
  readonly startRevision?: bigint;
  readonly onlyDeletes?: boolean;
}

export interface WatchListener {
  /** Every event after `since` will be delivered, in revision order, exactly once. */
  ready(since: bigint): void;
  events(events: readonly IEvent[]): void;
  /** History was lost (compacted): the watch restarts from now and `ready` follows. */
  reset(): void;
}

/**
 * One etcd watch that survives reconnections without missing or doubling
 * events: it is re-created from the revision after the last one it
 * delivered. (etcd3's Watcher resumes from the revision of the last response
 * header: after a reconnect that is the creation header, the current
 * revision, so events still being replayed when the stream drops again were
 * skipped; and a catch-up batch cut at etcd's 1,000-revision limit carries
 * the current revision too.) A watch whose history was compacted away starts
 * over from now and says `reset`.
 */
export class ResumableWatch {
  private entry: WatchEntry | undefined;
  /** Every event up to here has been delivered. */
  private delivered: bigint | undefined;
  private closed = false;

  constructor(
    private readonly stream: WatchStream,
    private readonly target: WatchTarget,
    private readonly listener: WatchListener,
  ) {
    this.attach(target.startRevision);
  }

  close(): void {
    this.closed = true;
    if (this.entry) this.stream.detach(this.entry);
    this.entry = undefined;
  }

  private attach(startRevision: bigint | undefined): void {
    const target = this.target;
    this.delivered = undefined;
    this.entry = this.stream.attach(
      () => {
        const request: IWatchCreateRequest = { key: target.key, progress_notify: true };
        if (target.end) request.range_end = target.end;
        if (target.onlyDeletes) request.filters = ['Noput'];
        const from = this.delivered === undefined ? startRevision : this.delivered + 1n;
        if (from !== undefined) request.start_revision = from.toString();
        return request;
      },
      {
        created: (revision) => {
          if (this.delivered !== undefined || this.closed) return;
          this.delivered = startRevision === undefined ? revision : startRevision - 1n;
          this.listener.ready(this.delivered);
        },
        response: (response) => {
          if (this.closed) return;
          if (response.events.length === 0) {
            // A progress notification: everything up to its revision has been sent.
            const revision = BigInt(response.header.revision);
            if (this.delivered !== undefined && revision > this.delivered) this.delivered = revision;
            return;
          }
          const last = response.events[response.events.length - 1];
          if (last) this.delivered = BigInt(last.kv.mod_revision);
          this.listener.events(response.events);
        },
        compacted: () => {
          if (this.closed) return;
          if (this.entry) this.stream.detach(this.entry);
          this.listener.reset();
          if (!this.closed) this.attach(undefined);
        },
      },
    );
  }
}
