import type { SchedulerLike } from 'rxjs';
import type { EntrySlots } from './entry-slots.js';
import type { Janitor } from './janitor.js';
import type { KeyLayout } from './keys.js';
import type { EtcdRpc } from './rpc.js';
import type { EtcdSessionLease } from './session-lease.js';
import type { WatchHub } from './watch-hub.js';
import type { WatchStream } from './watch-stream.js';

/** What the lock and group backends of one session share. */
export interface SessionContext {
  readonly rpc: EtcdRpc;
  readonly layout: KeyLayout;
  readonly lease: EtcdSessionLease;
  readonly hub: WatchHub;
  /** The session's watch stream, for watches of one's own (a waiter's on its predecessor). */
  readonly watches: WatchStream;
  readonly janitor: Janitor;
  readonly scheduler: SchedulerLike;
  readonly memberId: string;
  /** The member id as stored in queue entries, so `holder()` can name the holder. */
  readonly memberBytes: Buffer;
  /** Reusable names for queue entries. */
  readonly slots: EntrySlots;
  /** A number unique within the session, for attempt ids. */
  nextAttempt(): number;
}
