/**
 * What a test and a peer process (peer-main.ts) say to each other, one JSON
 * object per line: commands on the peer's stdin, reports on its stdout.
 */

/** A command; the peer answers `ack` (or `failed`) with the same id once it has subscribed or acted. */
export type PeerCommand =
  /** Subscribes `coordinator.lock(name, { ttl, wait })`: `lock` reports follow each lease state. */
  | { readonly id: number; readonly op: 'lock'; readonly name: string; readonly ttl?: number; readonly wait?: number }
  /** Unsubscribes that lock (a release, or cancels the wait). */
  | { readonly id: number; readonly op: 'unlock'; readonly name: string }
  /** Subscribes `coordinator.leadership(group)`: a `leadership` report for each value. */
  | { readonly id: number; readonly op: 'lead'; readonly group: string }
  /** Unsubscribes it (withdraws the candidacy). */
  | { readonly id: number; readonly op: 'resign'; readonly group: string }
  /** Creates the group if needed and joins it: `membership` reports. */
  | {
      readonly id: number;
      readonly op: 'join';
      readonly group: string;
      readonly capabilities?: Readonly<Record<string, unknown>>;
    }
  | { readonly id: number; readonly op: 'leave'; readonly group: string }
  /** Closes the coordinator, reports `closed`, exits. */
  | { readonly id: number; readonly op: 'close' };

/** What happened in the peer, as it saw it. */
export type PeerReport =
  /** Connected; commands are accepted from now on. */
  | { readonly kind: 'ready'; readonly pid: number }
  /** Each `coordinator.state$` value. */
  | { readonly kind: 'state'; readonly state: string }
  /** Each `lease.state$` value of a lock (the first one, `held`, when it was granted). */
  | { readonly kind: 'lock'; readonly name: string; readonly state: string; readonly token: string }
  /** The lock's stream errored (LockLostError: `reason` says why). */
  | {
      readonly kind: 'lock-error';
      readonly name: string;
      readonly error: string;
      readonly message: string;
      readonly reason?: string;
    }
  /** Each value of `coordinator.leadership(group)`. */
  | { readonly kind: 'leadership'; readonly group: string; readonly leading: boolean }
  | {
      readonly kind: 'membership';
      readonly group: string;
      readonly state: 'joined' | 'lost';
      readonly error?: string;
    }
  | { readonly kind: 'ack'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly error: string }
  | { readonly kind: 'closed' };

/**
 * Every report carries its order in the peer and the moment it was seen:
 * `process.hrtime.bigint()`, CLOCK_MONOTONIC, one clock for every process
 * of the machine, so reports of different peers can be put in order.
 */
export type Stamped<T> = T & { readonly seq: number; readonly at: string };
