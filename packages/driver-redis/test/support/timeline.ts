/** What a fault test records, in the order the test process saw it. */
export type Happening =
  /** A hold was granted (a lease emitted, a membership joined, a new leadership term). */
  | 'grant'
  /** A hold was reported lost (LockLostError, MembershipLostError). */
  | 'loss'
  /** Anything else a hold's stream reported: always a failure in these tests. */
  | 'error'
  /** A refresh of a hold reached the server (seen by MONITOR). */
  | 'refresh'
  /** A fault began (a partition, an operator's command), or healed. */
  | 'fault'
  | 'heal';

export interface Entry {
  /** Position in the timeline: assertions compare orders, not durations. */
  readonly seq: number;
  /** Wall-clock ms (the server's own clock for `refresh`, which is the same host's). */
  readonly at: number;
  readonly what: Happening;
  /** Which hold: a name the test chooses ('lock', 'membership', ...); '' for the fault itself. */
  readonly hold: string;
  readonly detail?: unknown;
}

/**
 * An ordered record of grants, losses, refreshes and faults, so that a
 * test can assert on counts and order ("exactly one loss, before the
 * heal") instead of on elapsed time.
 */
export class Timeline {
  readonly entries: Entry[] = [];

  add(what: Happening, hold: string, detail?: unknown, at = Date.now()): Entry {
    const entry: Entry = { seq: this.entries.length, at, what, hold, detail };
    this.entries.push(entry);
    return entry;
  }

  of(hold: string, what?: Happening): Entry[] {
    return this.entries.filter((e) => e.hold === hold && (what === undefined || e.what === what));
  }

  last(hold: string, what: Happening): Entry | undefined {
    return this.of(hold, what).at(-1);
  }

  /** The fault's own marks. */
  mark(what: 'fault' | 'heal'): Entry | undefined {
    return this.entries.findLast((e) => e.what === what);
  }

  /** Refreshes of `hold` that reached the server after entry `seq`. */
  refreshesAfter(hold: string, seq: number): number {
    return this.of(hold, 'refresh').filter((e) => e.seq > seq).length;
  }
}
