import { compareEntries, type HistoryEntry, PROCESS_KINDS } from './entry.js';

/** How a hold ended. `open`: the history stops while it is held (its end is the process's last entry). */
export type HoldEnding = 'lost' | 'release' | 'not-leader' | 'killed' | 'open';

/** One hold of the lock (or one term of the leadership) by one process. */
export interface Hold {
  /** The holder. */
  readonly process: string;
  /** The lock name or leadership group. */
  readonly resource: string;
  /** Its fencing token (or term); undefined when the driver gave none. */
  readonly token: bigint | undefined;
  /** The `acquire` (or `leader`) entry. */
  readonly start: HistoryEntry;
  /** The `lost`, `release`, `not-leader` or `killed` entry; undefined when `open`. */
  readonly end: HistoryEntry | undefined;
  /** How it ended. */
  readonly ending: HoldEnding;
  /**
   * Until when the holder believed it held: the end entry's time; for a
   * killed process the later of the kill and its last write; for an open
   * hold the process's last entry.
   */
  readonly until: bigint;
  /** The writes the holder made during the hold, with its token. */
  readonly writes: readonly HistoryEntry[];
}

/** A pause of a process, from `paused` to `resumed` (open-ended if never resumed). */
export interface Pause {
  /** The paused process. */
  readonly process: string;
  /** When it was stopped (ns, monotonic). */
  readonly from: bigint;
  /** When it was continued (ns, monotonic); undefined if never. */
  readonly to: bigint | undefined;
}

/** `next` began while `holder` still believed it held. */
export interface Overlap {
  /** The earlier hold, still believed held. */
  readonly holder: Hold;
  /** The hold that began during it. */
  readonly next: Hold;
  /** For paused overlaps: the holder's pause that began before `next` did. */
  readonly pause?: Pause;
}

/** A write made with `write.token` after `supersededBy` (another process, a greater token) had acquired. */
export interface StaleWrite {
  /** The stale `write` entry. */
  readonly write: HistoryEntry;
  /** The `acquire` (or `leader`) entry with the greater token. */
  readonly supersededBy: HistoryEntry;
}

/** `next` was acquired after `previous` with a token that is not greater. */
export interface TokenRegression {
  /** The earlier acquisition. */
  readonly previous: HistoryEntry;
  /** The later one, whose token is not greater. */
  readonly next: HistoryEntry;
}

/** How many of each thing a HistoryReport lists. */
export interface HistoryCounts {
  /** Holds (or terms). */
  readonly holds: number;
  /** `write` entries. */
  readonly writes: number;
  /** Violations: see HistoryReport.unsignalledOverlaps. */
  readonly unsignalledOverlaps: number;
  /** Overlaps excused by a pause (not violations). */
  readonly pausedOverlaps: number;
  /** Violations: writes after a greater token was granted. */
  readonly staleWrites: number;
  /** Violations: writes outside any hold with their token. */
  readonly unheldWrites: number;
  /** Violations: tokens that did not increase. */
  readonly tokenRegressions: number;
  /** Holds the history stops in. */
  readonly openHolds: number;
}

/** What `checkHistory` found for one resource. */
export interface HistoryReport {
  /** The lock name or leadership group checked. */
  readonly resource: string;
  /** `lock` for acquire/lost/release histories, `leadership` for leader/not-leader ones. */
  readonly type: 'lock' | 'leadership';
  /** Every hold (or term), in acquisition order. */
  readonly holds: readonly Hold[];
  /** Holds per process name. */
  readonly holdsPerProcess: Readonly<Record<string, number>>;
  /** Writes per process name. */
  readonly writesPerProcess: Readonly<Record<string, number>>;
  /**
   * (a) Two holds at once, the earlier holder not told before the later
   * acquired: its loss came after the other's acquire, or it released or was
   * killed after it. Not counted here: the holder had been stopped (SIGSTOP,
   * as recorded by `paused`/`resumed`) when the other acquired and, once it
   * ran again, was told before it wrote anything (see `pausedOverlaps`).
   */
  readonly unsignalledOverlaps: readonly Overlap[];
  /**
   * Overlaps whose holder had been stopped (`paused`) when the other
   * acquired and, once it ran again, was told before it wrote anything with
   * that hold: nothing can tell a stopped process anything, and on TTL
   * backends the lock passes on while it is stopped. Not a violation.
   */
  readonly pausedOverlaps: readonly Overlap[];
  /** (b) Writes made after another process had acquired with a greater token. */
  readonly staleWrites: readonly StaleWrite[];
  /** Writes by a process that held no hold with that token at that time (after its release or loss). */
  readonly unheldWrites: readonly HistoryEntry[];
  /** (c) Acquisitions whose token is not greater than the one acquired just before. */
  readonly tokenRegressions: readonly TokenRegression[];
  /** Holds the history stops in (killed holders, processes still running). */
  readonly openHolds: readonly Hold[];
  /** The size of each list above. */
  readonly counts: HistoryCounts;
  /** No unsignalled overlap, stale write, unheld write nor token regression. */
  readonly ok: boolean;
  /** A readable account of the counts and of every violation. */
  readonly summary: string;
}

/** Options of `checkHistory`. */
export interface CheckHistoryOptions {
  /** The lock name or leadership group to check; optional when the history has one resource. */
  readonly resource?: string;
}

const STARTS = new Set(['acquire', 'leader']);
const ENDS = new Set(['lost', 'release', 'not-leader']);

/** The resources (lock names, leadership groups) a history mentions. */
export function historyResources(entries: Iterable<HistoryEntry>): string[] {
  const names = new Set<string>();
  for (const entry of entries) if (entry.resource !== undefined) names.add(entry.resource);
  return [...names].sort();
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * Judges the merged histories of one lock (or one leadership): unsignalled
 * overlapping holds, stale writes, unheld writes and token regressions,
 * with counts, the offending entries and a readable summary. Entries about
 * other resources are ignored, except that every process's entries date its
 * last sign of life, and `paused`/`resumed`/`killed` apply to every resource.
 */
export function checkHistory(history: Iterable<HistoryEntry>, options: CheckHistoryOptions = {}): HistoryReport {
  const entries = [...history].sort(compareEntries);
  const resources = historyResources(entries);
  const resource = options.resource ?? resources[0];
  if (resource === undefined) throw new Error('checkHistory: the history mentions no lock nor leadership');
  if (options.resource === undefined && resources.length > 1) {
    throw new Error(`checkHistory: the history mentions several resources (${resources.join(', ')}): pass one`);
  }
  const own = entries.filter((entry) => entry.resource === resource);
  const hasLock = own.some((entry) => entry.kind === 'acquire');
  const hasLeader = own.some((entry) => entry.kind === 'leader');
  if (hasLock && hasLeader) {
    throw new Error(`checkHistory: "${resource}" has both lock and leadership entries: give them distinct names`);
  }

  const lastSeen = new Map<string, bigint>();
  const killedAt = new Map<string, bigint>();
  const pauses = new Map<string, Pause[]>();
  for (const entry of entries) {
    if (!PROCESS_KINDS.has(entry.kind)) {
      lastSeen.set(entry.process, max(lastSeen.get(entry.process) ?? entry.time, entry.time));
      continue;
    }
    const list = pauses.get(entry.process) ?? [];
    pauses.set(entry.process, list);
    const last = list.at(-1);
    if (entry.kind === 'paused' && (!last || last.to !== undefined)) {
      list.push({ process: entry.process, from: entry.time, to: undefined });
    } else if (entry.kind === 'resumed' && last && last.to === undefined) {
      list[list.length - 1] = { ...last, to: entry.time };
    } else if (entry.kind === 'killed' && !killedAt.has(entry.process)) {
      killedAt.set(entry.process, entry.time);
    }
  }

  interface Building {
    process: string;
    token: bigint | undefined;
    start: HistoryEntry;
    end: HistoryEntry | undefined;
    writes: HistoryEntry[];
  }
  const holds: Building[] = [];
  const open: Building[] = [];
  const unheldWrites: HistoryEntry[] = [];
  const findOpen = (entry: HistoryEntry) => {
    for (let i = open.length - 1; i >= 0; i--) {
      const hold = open[i] as Building;
      if (hold.process !== entry.process) continue;
      if (entry.token === undefined || hold.token === entry.token) return i;
    }
    return -1;
  };
  for (const entry of own) {
    if (STARTS.has(entry.kind)) {
      // The same term reported twice without an end in between is one hold.
      if (findOpen(entry) >= 0 && entry.token !== undefined) continue;
      const hold: Building = { process: entry.process, token: entry.token, start: entry, end: undefined, writes: [] };
      holds.push(hold);
      open.push(hold);
    } else if (entry.kind === 'write') {
      const index = findOpen(entry);
      if (index >= 0) (open[index] as Building).writes.push(entry);
      else unheldWrites.push(entry);
    } else if (ENDS.has(entry.kind)) {
      const index = findOpen(entry);
      if (index < 0) continue; // a late loss after a release, or an end of a hold never recorded
      (open[index] as Building).end = entry;
      open.splice(index, 1);
    }
  }

  const finished: Hold[] = holds.map((hold) => {
    const lastWrite = hold.writes.at(-1)?.time ?? hold.start.time;
    if (hold.end) {
      return { ...hold, resource, ending: hold.end.kind as HoldEnding, until: hold.end.time };
    }
    const killed = killedAt.get(hold.process);
    if (killed !== undefined && killed >= hold.start.time) {
      return { ...hold, resource, ending: 'killed', until: max(killed, lastWrite) };
    }
    return { ...hold, resource, ending: 'open', until: max(lastSeen.get(hold.process) ?? lastWrite, lastWrite) };
  });

  // (a) overlaps, in acquisition order.
  const unsignalledOverlaps: Overlap[] = [];
  const pausedOverlaps: Overlap[] = [];
  for (let i = 0; i < finished.length; i++) {
    const holder = finished[i] as Hold;
    for (let j = i + 1; j < finished.length; j++) {
      const next = finished[j] as Hold;
      if (next.start.time >= holder.until) continue;
      const pause = excusingPause(holder, next, pauses.get(holder.process) ?? []);
      if (pause) pausedOverlaps.push({ holder, next, pause });
      else unsignalledOverlaps.push({ holder, next });
    }
  }

  // (b) stale writes: another process acquired with a greater token before the write.
  const starts = finished.map((hold) => hold.start);
  const staleWrites: StaleWrite[] = [];
  for (const write of own) {
    if (write.kind !== 'write' || write.token === undefined) continue;
    const token = write.token;
    const supersededBy = starts.find(
      (start) =>
        start.process !== write.process && start.token !== undefined && start.token > token && start.time < write.time,
    );
    if (supersededBy) staleWrites.push({ write, supersededBy });
  }

  // (c) tokens in acquisition order; a process taking up again the term it had (leadership
  // back from at-risk) is not a new acquisition.
  const tokenRegressions: TokenRegression[] = [];
  for (let i = 1; i < starts.length; i++) {
    const previous = starts[i - 1] as HistoryEntry;
    const next = starts[i] as HistoryEntry;
    if (previous.token === undefined || next.token === undefined) continue;
    if (next.process === previous.process && next.token === previous.token) continue;
    if (next.token <= previous.token) tokenRegressions.push({ previous, next });
  }

  const holdsPerProcess: Record<string, number> = {};
  const writesPerProcess: Record<string, number> = {};
  for (const hold of finished) holdsPerProcess[hold.process] = (holdsPerProcess[hold.process] ?? 0) + 1;
  let writes = 0;
  for (const entry of own) {
    if (entry.kind !== 'write') continue;
    writes++;
    writesPerProcess[entry.process] = (writesPerProcess[entry.process] ?? 0) + 1;
  }
  const openHolds = finished.filter((hold) => hold.ending === 'open' || hold.ending === 'killed');
  const counts: HistoryCounts = {
    holds: finished.length,
    writes,
    unsignalledOverlaps: unsignalledOverlaps.length,
    pausedOverlaps: pausedOverlaps.length,
    staleWrites: staleWrites.length,
    unheldWrites: unheldWrites.length,
    tokenRegressions: tokenRegressions.length,
    openHolds: openHolds.length,
  };
  const ok =
    counts.unsignalledOverlaps === 0 &&
    counts.staleWrites === 0 &&
    counts.unheldWrites === 0 &&
    counts.tokenRegressions === 0;
  const report = {
    resource,
    type: hasLeader ? ('leadership' as const) : ('lock' as const),
    holds: finished,
    holdsPerProcess,
    writesPerProcess,
    unsignalledOverlaps,
    pausedOverlaps,
    staleWrites,
    unheldWrites,
    tokenRegressions,
    openHolds,
    counts,
    ok,
  };
  return { ...report, summary: summarize(report, entries[0]?.time ?? 0n) };
}

/**
 * The pause that excuses an overlap: the holder's hold ended in a loss or
 * its death, the other acquired after the holder had been stopped, and the
 * holder, once it ran again, wrote nothing with that hold before it was
 * told. A stopped process cannot be told anything; what matters is that it
 * does not act on the lock before it learns (the other acquiring between
 * the SIGCONT and the moment the holder's loss is recorded is the same
 * case: the holder was not running yet, or was being told).
 */
function excusingPause(holder: Hold, next: Hold, pauses: readonly Pause[]): Pause | undefined {
  if (holder.ending === 'release' || holder.ending === 'open') return undefined;
  const at = next.start.time;
  // The last pause that began within the hold and before the other acquired.
  const pause = pauses.filter((p) => p.from >= holder.start.time && p.from <= at).at(-1);
  if (!pause) return undefined;
  const resumed = pause.to;
  if (resumed !== undefined && holder.writes.some((write) => write.time > resumed)) return undefined;
  return pause;
}

/** At most this many offending entries per category in a summary. */
const SHOWN = 10;

function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, SHOWN).map((item) => `    ${line(item)}`);
  if (items.length > SHOWN) lines.push(`    ... and ${items.length - SHOWN} more`);
  return lines;
}

function summarize(report: Omit<HistoryReport, 'summary'>, origin: bigint): string {
  const ms = (time: bigint) => `+${(Number(time - origin) / 1e6).toFixed(3)}ms`;
  const token = (value: bigint | undefined) => (value === undefined ? 'no token' : `token ${value}`);
  const hold = (h: Hold) =>
    `${h.process} (${token(h.token)}, ${ms(h.start.time)}..${ms(h.until)}, ${h.ending}${h.end?.detail ? `: ${h.end.detail}` : ''})`;
  const { counts } = report;
  const perProcess = Object.entries(report.holdsPerProcess)
    .map(([process, n]) => `${process}: ${n}`)
    .join(', ');
  // Paused overlaps come by the dozen (every hand-over among the others during the pause): one line per paused hold.
  const byPausedHold = new Map<Hold, Overlap[]>();
  for (const overlap of report.pausedOverlaps) {
    byPausedHold.set(overlap.holder, [...(byPausedHold.get(overlap.holder) ?? []), overlap]);
  }
  const lines = [
    `${report.type} "${report.resource}": ${counts.holds} holds (${perProcess || 'none'}), ${counts.writes} writes — ${report.ok ? 'OK' : 'VIOLATIONS'}`,
    `  unsignalled overlaps: ${counts.unsignalledOverlaps}`,
    ...listed(
      report.unsignalledOverlaps,
      (o) =>
        `${hold(o.holder)} still held when ${o.next.process} acquired ${token(o.next.token)} at ${ms(o.next.start.time)}`,
    ),
    `  overlaps while the holder was stopped, told when it ran again (not violations): ${counts.pausedOverlaps}`,
    ...listed([...byPausedHold], ([holder, overlaps]) => {
      const pause = overlaps[0]?.pause;
      const resumed = pause?.to === undefined ? 'never resumed' : ms(pause.to);
      const first = overlaps[0]?.next;
      return `${hold(holder)}, stopped ${ms(pause?.from ?? 0n)}..${resumed}: ${overlaps.length} hold${overlaps.length === 1 ? '' : 's'} by others began meanwhile, the first ${first?.process} ${token(first?.token)} at ${ms(first?.start.time ?? 0n)}`;
    }),
    `  stale writes: ${counts.staleWrites}`,
    ...listed(
      report.staleWrites,
      (s) =>
        `${s.write.process} wrote with ${token(s.write.token)} at ${ms(s.write.time)}, after ${s.supersededBy.process} acquired ${token(s.supersededBy.token)} at ${ms(s.supersededBy.time)}`,
    ),
    `  writes outside a hold: ${counts.unheldWrites}`,
    ...listed(report.unheldWrites, (w) => `${w.process} wrote with ${token(w.token)} at ${ms(w.time)}`),
    `  token regressions: ${counts.tokenRegressions}`,
    ...listed(
      report.tokenRegressions,
      (r) =>
        `${r.next.process} acquired ${token(r.next.token)} at ${ms(r.next.time)} after ${r.previous.process} acquired ${token(r.previous.token)} at ${ms(r.previous.time)}`,
    ),
  ];
  if (report.openHolds.length > 0) lines.push(`  holds the history ends in: ${report.openHolds.map(hold).join('; ')}`);
  return lines.join('\n');
}
