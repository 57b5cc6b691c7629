/**
 * What a test and a peer process (peer-main.ts) say to each other, one JSON
 * object per line: commands on the peer's stdin, reports on its stdout.
 */

/** A command; the peer answers `ack` (or `failed`) with the same id once it has subscribed or acted. */
export type PeerCommand =
  /** Subscribes `coordinator.lock(name, { ttl, wait })`: `lock` reports follow each lease state. */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'lock';
      /** The lock name. */
      readonly name: string;
      /** The lock's TTL in ms (default: the peer's `ttl`). */
      readonly ttl?: number;
      /** How long to wait for it in ms (default: `lock()`'s). */
      readonly wait?: number;
    }
  /** Unsubscribes that lock (a release, or cancels the wait). */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'unlock';
      /** The lock name. */
      readonly name: string;
    }
  /** Subscribes `coordinator.leadership(group)`: a `leadership` report for each value. */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'lead';
      /** The leadership group. */
      readonly group: string;
    }
  /** Unsubscribes it (withdraws the candidacy). */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'resign';
      /** The leadership group. */
      readonly group: string;
    }
  /** Creates the group if needed and joins it: `membership` reports. */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'join';
      /** The group. */
      readonly group: string;
      /** The member's capabilities in the group. */
      readonly capabilities?: Readonly<Record<string, unknown>>;
    }
  /** Leaves the group it joined. */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'leave';
      /** The group. */
      readonly group: string;
    }
  /** Closes the coordinator, reports `closed`, exits. */
  | {
      /** Echoed by the answer. */
      readonly id: number;
      /** The command. */
      readonly op: 'close';
    };

/** What happened in the peer, as it saw it. */
export type PeerReport =
  /** Connected; commands are accepted from now on. */
  | {
      /** The report. */
      readonly kind: 'ready';
      /** The peer's process id. */
      readonly pid: number;
    }
  /** Each `coordinator.state$` value. */
  | {
      /** The report. */
      readonly kind: 'state';
      /** The coordinator's state (`connected`, `suspended`...). */
      readonly state: string;
    }
  /** Each `lease.state$` value of a lock (the first one, `held`, when it was granted). */
  | {
      /** The report. */
      readonly kind: 'lock';
      /** The lock name. */
      readonly name: string;
      /** The lease's state (`held`, `at-risk`...). */
      readonly state: string;
      /** The lease's fencing token, in decimal. */
      readonly token: string;
    }
  /** The lock's stream errored (LockLostError: `reason` says why). */
  | {
      /** The report. */
      readonly kind: 'lock-error';
      /** The lock name. */
      readonly name: string;
      /** The error's class name. */
      readonly error: string;
      /** The error's message. */
      readonly message: string;
      /** LockLostError's `reason`. */
      readonly reason?: string;
    }
  /** Each value of `coordinator.leadership(group)`. */
  | {
      /** The report. */
      readonly kind: 'leadership';
      /** The leadership group. */
      readonly group: string;
      /** Whether this peer leads. */
      readonly leading: boolean;
    }
  /** The membership began (`joined`) or ended without a leave (`lost`). */
  | {
      /** The report. */
      readonly kind: 'membership';
      /** The group. */
      readonly group: string;
      /** Joined or lost. */
      readonly state: 'joined' | 'lost';
      /** What ended it (`Name: message`), when lost. */
      readonly error?: string;
    }
  /** The command `id` was carried out. */
  | {
      /** The report. */
      readonly kind: 'ack';
      /** The command's id. */
      readonly id: number;
    }
  /** The command `id` failed. */
  | {
      /** The report. */
      readonly kind: 'failed';
      /** The command's id. */
      readonly id: number;
      /** What went wrong (`Name: message`). */
      readonly error: string;
    }
  /** The coordinator is closed; the process exits. */
  | {
      /** The report. */
      readonly kind: 'closed';
    };

/**
 * Every report carries its order in the peer and the moment it was seen:
 * `process.hrtime.bigint()`, CLOCK_MONOTONIC, one clock for every process
 * of the machine, so reports of different peers can be put in order.
 */
export type Stamped<T> = T & { readonly seq: number; readonly at: string };
