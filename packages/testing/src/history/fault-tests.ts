import { describe, expect, it } from 'vitest';
import type { NetworkNamespace } from '../servers/netns.js';
import { startNetns } from '../servers/netns.js';
import type { HistoryReport } from './checker.js';
import { type HistoryEntry, monotonicNow } from './entry.js';
import { type HistoryWorker, startHistoryWorkers, type WorkerPartition } from './harness.js';

/** What `historyFaultTests` needs of a server: a fixture handle (`startRedis()`...) is one. */
export interface HistoryFaultServer extends AsyncDisposable {
  /** The URL the workers connect to (inside the namespace only, for a server started there). */
  readonly url: string;
  /** Stops the server and starts it again; it must keep the data (keys, counters, sessions: whatever the backend persists). */
  restart(): Promise<void>;
}

/**
 * What a backend does with what a SIGSTOPped worker holds, once the TTL (or
 * session timeout) has passed:
 *
 * - `'others-take-over'`: liveness is a TTL the stopped process cannot
 *   renew (redis's key TTL, etcd's session lease, zookeeper's session). The
 *   server lets go of what it held while it is stopped, and another worker
 *   takes it with a greater token. Those overlaps are `pausedOverlaps`, not
 *   violations, because the stopped worker, once continued, is told (core
 *   evaluates the lease's deadline at every read) before it writes anything.
 *   Asserted: `pausedOverlaps` > 0 on the lock and the leadership, > 0 with
 *   the stopped worker as the holder, and each of those holds ended `lost`
 *   (or `not-leader`).
 * - `'others-wait'`: liveness is a server session the stopped process's
 *   kernel keeps alive (it still answers the server's TCP keepalives), as
 *   postgres's session-level advisory locks: the server keeps its session
 *   and its locks, the others wait, and nobody acquires the lock or the seat
 *   while it is stopped (`pausedOverlaps` 0, as on the file driver). Once
 *   continued, the stopped worker's first read finds its session deadline
 *   passed and is told `lost`; the driver then ends the old server session
 *   before anyone else can take what it held. Asserted: `pausedOverlaps` 0,
 *   and no hold by another worker began while the holder (then the leader)
 *   was stopped.
 */
export type StoppedHolder = 'others-take-over' | 'others-wait';

/** What `historyFaultTests` needs from a driver's test. */
export interface HistoryFaultTarget {
  /**
   * The driver package's directory (`startHistoryWorkers`'s `cwd`): the
   * workers' `connect(url)` loads `@tooz/driver-<scheme>` from there.
   */
  readonly cwd: string;
  /** Starts the server for the stop-and-restart test; its `restart()` must keep the data. */
  readonly start: () => Promise<HistoryFaultServer>;
  /** Starts the server inside `netns` for the partition test (the workers run on hosts of the same namespace). */
  readonly startInNetns: (netns: NetworkNamespace) => Promise<HistoryFaultServer>;
  /**
   * ms: core's `ttl` (the session timeout on session backends). The stops and
   * cuts last 2.5 of it; the run lengths below are sized for about 1 s.
   */
  readonly ttl: number;
  /** What happens to what a stopped worker holds: see `StoppedHolder`. */
  readonly stoppedHolder: StoppedHolder;
  /**
   * ms the workers of the stop-and-restart test run (default 15 000): longer
   * where a restart takes seconds (a JVM), as the workers must run on well
   * past it.
   */
  readonly restartRun?: number;
}

const LOCK = 'history-lock';
const LEADERSHIP = 'history-leadership';
/** A hang guard for each wait below, never a timing assertion. */
const BOUND = 30_000;
/** The partition test: the workers run this long. */
const PARTITION_RUN = 12_000;
const NAMES = ['worker-1', 'worker-2', 'worker-3'];
const VIOLATIONS = { unsignalledOverlaps: 0, staleWrites: 0, unheldWrites: 0, tokenRegressions: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The multi-process fault tests of a driver, on the history harness
 * (`startHistoryWorkers`): three worker processes take turns on one lock (a
 * few protected writes per hold, each checked with `lease.state` and
 * `lease.signal` first) and stand for one leadership (a protected write now
 * and then, checked with `leadership.value` and `leadership.term`),
 * recording everything. Each test lets them run to the end, merges the
 * histories and asserts on the checker's counts, never on timings; it logs
 * its figures (`<name> history-lock: {...}`) and, for a report with
 * violations, every entry of each offending holder during its hold.
 *
 * 1. Stopped, then restarted: the test stops the lock holder with SIGSTOP for
 *    2.5 TTLs and continues it, does the same to the leader, then restarts
 *    the server (`restart()`, keeping its data) while a worker holds the
 *    lock. What a stopped holder's hold becomes is the backend's
 *    `stoppedHolder` (see `StoppedHolder`). Through the restart the
 *    connections drop, so holders turn `at-risk` (workers stop writing and
 *    let go) or are told `lost`, and the restarted server still has every
 *    key and fencing counter (or revision, zxid, counter row), so tokens
 *    never go back. So every violation count must be zero: no unsignalled
 *    overlap, no stale write, no write outside a hold, no token regression.
 *    Also asserted: holds began after the restart (the scenario really ran
 *    through it), every worker held the lock at least once, and every worker
 *    ran to its end and exited cleanly. (After a restart that *loses* the
 *    data the token is the only safety net and overlaps could be counted:
 *    that is another test, none is allowed here.)
 * 2. Partitioned: the server and the workers run inside one network
 *    namespace, each worker on a host of its own (see netns.ts); the test
 *    partitions the lock holder's host for 2.5 TTLs (every packet of its
 *    connections dropped, both ways), heals it, then does the same to the
 *    leader's host; holds and terms last about two TTLs there, so a cut made
 *    just after an acquire falls well inside one. A partitioned holder is
 *    not stopped: its refreshes (keep-alives, heartbeats, statements) go
 *    unanswered, the server lets go of what it held and another worker takes
 *    it with a greater token; the holder, running all along, must be told
 *    `lost` first (its deadline, the last confirmed refresh's send plus
 *    0.9 TTL, passes before the server can let go) and write nothing after.
 *    Nothing is recorded as a pause, so any overlap with the partitioned
 *    worker counts as unsignalled: `pausedOverlaps` must be 0 and every
 *    violation count too; what the cut-off worker held must have passed on
 *    while it was cut off, and every worker, the healed ones too, must exit
 *    cleanly. This holds on every `stoppedHolder` backend: a partitioned
 *    process's kernel answers nothing, so even a session backend ends its
 *    session.
 *
 * @example
 * historyFaultTests('redis', {
 *   cwd: fileURLToPath(new URL('..', import.meta.url)),
 *   ttl: 1_000,
 *   start: () => startRedis({ persistence: 'aof' }),
 *   startInNetns: (netns) => startRedis({ netns }),
 *   stoppedHolder: 'others-take-over',
 * });
 */
export function historyFaultTests(name: string, target: HistoryFaultTarget): void {
  const { cwd, ttl } = target;
  /** Each stop, and each cut, lasts 2.5 TTLs. */
  const stopFor = 2.5 * ttl;
  const cutFor = 2.5 * ttl;
  /** Holds and terms of about two TTLs, with a write every 50 ms (the partition test only). */
  const longHolds = {
    writes: Math.round((2 * ttl) / 50),
    writeInterval: 50,
    leaderWrites: Math.round((2 * ttl) / 50),
    leaderWriteInterval: 50,
  };
  const othersWait = target.stoppedHolder === 'others-wait';
  const stopTitle = othersWait
    ? 'a holder and a leader stopped past the session timeout keep what they hold (the others wait) and are told once continued; a restart ends every session, and holders are told'
    : 'a holder and a leader stopped past the TTL are told before they write again; a restart keeping the data breaks nothing';

  describe(`${name} driver, three processes, recorded and checked`, () => {
    it(stopTitle, async () => {
      await using server = await target.start();
      await using workers = await startHistoryWorkers({
        url: server.url,
        count: 3,
        ttl,
        duration: target.restartRun ?? 15_000,
        cwd,
      });

      // 1. SIGSTOP the lock holder past its TTL (session timeout), then SIGCONT it.
      const stoppedHolder = await workers.pauseHolder(LOCK, { bound: BOUND });
      const holderStopped = { from: monotonicNow(), to: 0n };
      await sleep(stopFor);
      holderStopped.to = monotonicNow();
      await stoppedHolder.resume();

      // 2. The same to the leader.
      const stoppedLeader = await workers.pauseHolder(LEADERSHIP, { bound: BOUND });
      const leaderStopped = { from: monotonicNow(), to: 0n };
      await sleep(stopFor);
      leaderStopped.to = monotonicNow();
      await stoppedLeader.resume();

      // 3. Restart the server (the data is kept) while a worker holds the lock.
      await workers.waitFor((entry) => entry.kind === 'acquire' && entry.resource === LOCK, BOUND, workers.live.length);
      const restarting = monotonicNow();
      await server.restart();
      const restarted = monotonicNow();

      // 4. Let them run to the end: each worker stops by itself once its time is up.
      const exits = await workers.finished(BOUND);

      const lock = await workers.check(LOCK);
      const leadership = await workers.checkLeadership();
      const history = await workers.history();
      for (const report of [lock, leadership]) {
        if (!report.ok) console.log(involved(report, history));
        console.log(
          `${name} ${report.type}: ${JSON.stringify(figures(report, restarting, restarted))}\n${report.summary}`,
        );
      }

      for (const report of [lock, leadership]) {
        expect(report.counts, report.summary).toMatchObject(VIOLATIONS);
        expect(report.ok, report.summary).toBe(true);
        if (othersWait) {
          // Session liveness: nothing passed on while a worker was stopped (checked below, per stop).
          expect(report.counts.pausedOverlaps, report.summary).toBe(0);
        } else {
          // TTL (lease, session) liveness: what the stopped worker held passed on while it was stopped.
          expect(report.counts.pausedOverlaps, report.summary).toBeGreaterThan(0);
        }
        // The scenario really ran through the restart: holds began after it.
        expect(report.holds.filter((hold) => hold.start.time > restarted).length, report.summary).toBeGreaterThan(0);
      }
      // Every worker ran to its end and exited cleanly (a crash shows its stderr).
      for (const exit of exits) {
        expect(exit, workers.worker(exit.memberId).stderr).toEqual({ memberId: exit.memberId, code: 0, signal: null });
      }
      for (const worker of workers.workers) {
        expect(lock.holdsPerProcess[worker.memberId] ?? 0, lock.summary).toBeGreaterThan(0);
      }
      for (const [report, stopped, window] of [
        [lock, stoppedHolder, holderStopped],
        [leadership, stoppedLeader, leaderStopped],
      ] as const) {
        if (othersWait) {
          // While the holder (then the leader) was stopped, nobody else took the lock (the seat): its session lived on.
          const during = report.holds.filter(
            (hold) => hold.process !== stopped.memberId && hold.start.time > window.from && hold.start.time < window.to,
          );
          expect(
            during.map((hold) => `${hold.process} ${hold.token}`),
            report.summary,
          ).toEqual([]);
          const own = report.holds.find(
            (hold) => hold.process === stopped.memberId && hold.start.time < window.from && hold.until > window.from,
          );
          console.log(
            `${name} ${report.type}: ${stopped.memberId}, stopped while holding ${own?.token}, then ${own?.ending}${own?.end?.detail ? ` (${own.end.detail})` : ''}`,
          );
        } else {
          // The stopped holder's hold, and the stopped leader's term, ended in a loss it was told of.
          const paused = report.pausedOverlaps.filter((overlap) => overlap.holder.process === stopped.memberId);
          expect(paused.length, report.summary).toBeGreaterThan(0);
          for (const overlap of paused) expect(overlap.holder.ending, report.summary).toMatch(/^(lost|not-leader)$/);
          const own = paused[0]?.holder;
          console.log(
            `${name} ${report.type}: ${stopped.memberId}, stopped while holding ${own?.token}, then ${own?.ending}${own?.end?.detail ? ` (${own.end.detail})` : ''}; ${paused.length} holds by others began meanwhile`,
          );
        }
      }
    });

    it('a holder and a leader partitioned past the TTL (every packet dropped) are told before anyone else takes over', async () => {
      await using net = await startNetns();
      await using server = await target.startInNetns(net);
      const hosts = await Promise.all(NAMES.map((host) => net.host(host)));
      await using workers = await startHistoryWorkers({
        url: server.url,
        names: NAMES,
        hosts,
        ttl,
        duration: PARTITION_RUN,
        cwd,
        ...longHolds,
      });

      // 1. Partition the lock holder's host past its TTL, then heal it.
      const cutHolder = await workers.partitionHolder(LOCK, { bound: BOUND });
      await sleep(cutFor);
      await cutHolder.heal();

      // 2. The same to the leader's host.
      const cutLeader = await workers.partitionHolder(LEADERSHIP, { bound: BOUND });
      await sleep(cutFor);
      await cutLeader.heal();
      const [holderCut, leaderCut] = workers.partitions as [WorkerPartition, WorkerPartition];

      // 3. Let them run to the end: the healed workers reconnect, each stops by itself once its time is up.
      const exits = await workers.finished(BOUND);

      const lock = await workers.check(LOCK);
      const leadership = await workers.checkLeadership();
      const history = await workers.history();
      const cuts = [
        [lock, cutHolder, holderCut],
        [leadership, cutLeader, leaderCut],
      ] as const;
      for (const [report, cut, window] of cuts) {
        if (!report.ok) console.log(involved(report, history));
        const { holds, writes, pausedOverlaps, unsignalledOverlaps, staleWrites, unheldWrites, tokenRegressions } =
          report.counts;
        const counts = {
          holds,
          writes,
          pausedOverlaps,
          unsignalledOverlaps,
          staleWrites,
          unheldWrites,
          tokenRegressions,
        };
        console.log(
          `${name} ${report.type}, partitioned: ${JSON.stringify({ ...partitionFigures(report, cut, window), ...counts })}\n${report.summary}`,
        );
      }

      for (const [report, cut, window] of cuts) {
        expect(report.counts, report.summary).toMatchObject(VIOLATIONS);
        expect(report.ok, report.summary).toBe(true);
        // Nothing was stopped: an overlap with the partitioned worker, running all along, would be unsignalled.
        expect(report.counts.pausedOverlaps, report.summary).toBe(0);
        // What it held passed on while it was cut off.
        expect(partitionFigures(report, cut, window).handovers, report.summary).toBeGreaterThan(0);
      }
      // Every worker, the healed ones too, ran to its end and exited cleanly (a crash shows its stderr).
      for (const exit of exits) {
        expect(exit, workers.worker(exit.memberId).stderr).toEqual({ memberId: exit.memberId, code: 0, signal: null });
      }
    });
  });
}

/** The figures the closing note needs, on one line; `across`: how the holds the restart fell in ended. */
function figures(report: HistoryReport, restarting: bigint, restarted: bigint) {
  const { counts } = report;
  const ms = (time: bigint) => Math.round(Number(time - restarting) / 1e6);
  return {
    restartMs: ms(restarted),
    across: report.holds
      .filter((hold) => hold.start.time < restarted && hold.until > restarting)
      .map(
        (hold) =>
          `${hold.process} ${hold.ending}@${ms(hold.until)}ms${hold.end?.detail ? ` (${hold.end.detail})` : ''}`,
      ),
    afterRestart: report.holds.filter((hold) => hold.start.time > restarted).length,
    resource: report.resource,
    holds: counts.holds,
    holdsPerProcess: report.holdsPerProcess,
    writes: counts.writes,
    pausedOverlaps: counts.pausedOverlaps,
    unsignalledOverlaps: counts.unsignalledOverlaps,
    staleWrites: counts.staleWrites,
    unheldWrites: counts.unheldWrites,
    tokenRegressions: counts.tokenRegressions,
    openHolds: counts.openHolds,
  };
}

/**
 * What a partition did to what the cut-off worker held: how its hold (or
 * term) ended, how many writes it made while cut off before it was told,
 * and how many holds by others began while it was cut off.
 */
function partitionFigures(report: HistoryReport, cut: HistoryWorker, window: WorkerPartition) {
  const to = window.to ?? monotonicNow();
  const own = report.holds.find(
    (hold) => hold.process === cut.memberId && hold.start.time < window.from && hold.until >= window.from,
  );
  const others = report.holds.filter(
    (hold) => hold.process !== cut.memberId && hold.start.time > window.from && hold.start.time < to,
  );
  return {
    worker: cut.memberId,
    token: own?.token?.toString(),
    ending: `${own?.ending}${own?.end?.detail ? ` (${own.end.detail})` : ''}`,
    writesWhileCut: own?.writes.filter((write) => write.time > window.from).length ?? 0,
    handovers: others.length,
    toldBeforeHandover: own !== undefined && others.every((hold) => own.until < hold.start.time),
  };
}

/**
 * For a report with violations: every entry (of any resource, and the
 * harness's pauses) of each offending holder from its hold's start to its
 * end, so that a failure shows exactly what the holder did and was told.
 */
function involved(report: HistoryReport, history: readonly HistoryEntry[]): string {
  const origin = history[0]?.time ?? 0n;
  const holds = new Set([
    ...report.unsignalledOverlaps.map((overlap) => overlap.holder),
    ...report.staleWrites.flatMap((stale) =>
      report.holds.filter((hold) => hold.process === stale.write.process && hold.token === stale.write.token),
    ),
  ]);
  const lines: string[] = [];
  for (const hold of holds) {
    lines.push(`entries of ${hold.process} during its hold with token ${hold.token}:`);
    for (const entry of history) {
      if (entry.time < hold.start.time || entry.time > hold.until) continue;
      if (entry.process !== hold.process) continue;
      const at = (Number(entry.time - origin) / 1e6).toFixed(3);
      lines.push(
        `  +${at}ms ${entry.kind} ${entry.resource ?? ''} ${entry.token ?? ''} ${entry.detail ?? ''}`.trimEnd(),
      );
    }
  }
  return lines.join('\n');
}
