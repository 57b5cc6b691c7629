/**
 * The multi-process fault test of the etcd driver, on @tooz/testing's
 * history harness: three worker processes take turns on one lock (a few
 * protected writes per hold, each checked with `lease.state` and
 * `lease.signal` first) and stand for one leadership (a protected write now
 * and then, checked with `leadership.value` and `leadership.term`),
 * recording everything. The test stops the lock holder with SIGSTOP for
 * 2.5 TTLs and continues it, does the same to the leader, then restarts the
 * server (etcd keeps everything in its WAL) while a worker holds the lock,
 * lets them run to the end, merges the histories and asserts on the
 * checker's counts, never on timings.
 *
 * What the etcd driver promises here: liveness is the session lease (one
 * per coordinator; every queue entry and leader seat hangs on it). A holder
 * stopped past the TTL sends no keep-alive, etcd expires its lease and
 * deletes its entries, and the next in the queue holds the lock (or the
 * seat) with a greater revision as its token. Those overlaps are
 * `pausedOverlaps`, not violations, because the stopped worker, once
 * continued, is told (core evaluates the lease's deadline, the last
 * confirmed keep-alive's send plus 0.9 × TTL, at every read) before it
 * writes anything. The restart keeps every key, lease and the revision
 * counter; keep-alives fail meanwhile, so holders turn `at-risk` (workers
 * stop writing and let go) and, if the restart outlasts the deadline, are
 * told `lost` and get a new lease. Tokens are revisions, which a restart
 * never sets back. So every violation count must be zero: no unsignalled
 * overlap, no stale write, no write outside a hold, no token regression.
 *
 * etcd does not lose its data on a restart (nor on a kill: the WAL is
 * written before the answer), so there is no case here in which the token
 * would be the only safety net; no count is allowed.
 *
 * The second test puts the server and the workers inside one network
 * namespace, each worker on a host of its own (see @tooz/testing's
 * netns.ts), and partitions the lock holder's host for 2.5 TTLs (every
 * packet of its connections dropped, both ways), heals it, then does the
 * same to the leader's host; holds and terms last about two TTLs there, so
 * a cut made just after an acquire falls well inside one.
 * A partitioned holder is not stopped: its keep-alives go unanswered, etcd
 * expires its lease and deletes its entries, and the next in the queue
 * holds the lock (or the seat); the holder, running all along, must be told
 * `lost` first (its deadline, the last confirmed keep-alive's send plus
 * 0.9 × TTL, passes before the lease can expire) and write nothing after.
 * Nothing is recorded as a pause, so any overlap with the partitioned
 * worker counts as unsignalled: `pausedOverlaps` must be 0 and every
 * violation count too.
 */
import { fileURLToPath } from 'node:url';
import {
  type HistoryEntry,
  type HistoryReport,
  type HistoryWorker,
  monotonicNow,
  startEtcd,
  startHistoryWorkers,
  startNetns,
  type WorkerPartition,
} from '@tooz/testing';
import { describe, expect, it } from 'vitest';

/** The workers load @tooz/driver-etcd (for `etcd://`) from this package's directory. */
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

const TTL = 1_000;
const STOPPED = 2.5 * TTL;
const LOCK = 'history-lock';
const LEADERSHIP = 'history-leadership';
/** A hang guard for each wait below, never a timing assertion. */
const BOUND = 30_000;
/** The partition test: each cut lasts as long as a stop; the workers run this long. */
const PARTITIONED = 2.5 * TTL;
const PARTITION_RUN = 12_000;
const NAMES = ['worker-1', 'worker-2', 'worker-3'];
/** Holds and terms of about two TTLs, with a write every 50 ms (the partition test only). */
const LONG_HOLDS = { writes: 40, writeInterval: 50, leaderWrites: 40, leaderWriteInterval: 50 };
const VIOLATIONS = { unsignalledOverlaps: 0, staleWrites: 0, unheldWrites: 0, tokenRegressions: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

describe('etcd driver, three processes, recorded and checked', () => {
  it('a holder and a leader stopped past the TTL are told before they write again; a restart keeping the data breaks nothing', async () => {
    await using server = await startEtcd();
    await using workers = await startHistoryWorkers({
      url: server.url,
      count: 3,
      ttl: TTL,
      duration: 15_000,
      cwd: PACKAGE,
    });

    // 1. SIGSTOP the lock holder past its TTL, then SIGCONT it.
    const stoppedHolder = await workers.pauseHolder(LOCK, { bound: BOUND });
    await sleep(STOPPED);
    await stoppedHolder.resume();

    // 2. The same to the leader.
    const stoppedLeader = await workers.pauseHolder(LEADERSHIP, { bound: BOUND });
    await sleep(STOPPED);
    await stoppedLeader.resume();

    // 3. Restart the server (the WAL keeps everything) while a worker holds the lock.
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
      console.log(`etcd ${report.type}: ${JSON.stringify(figures(report, restarting, restarted))}\n${report.summary}`);
    }

    for (const report of [lock, leadership]) {
      expect(report.counts, report.summary).toMatchObject(VIOLATIONS);
      expect(report.ok, report.summary).toBe(true);
      // Lease liveness: what the stopped worker held passed on while it was stopped.
      expect(report.counts.pausedOverlaps, report.summary).toBeGreaterThan(0);
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
    // The stopped holder's hold, and the stopped leader's term, ended in a loss it was told of.
    for (const [report, stopped] of [
      [lock, stoppedHolder],
      [leadership, stoppedLeader],
    ] as const) {
      const paused = report.pausedOverlaps.filter((overlap) => overlap.holder.process === stopped.memberId);
      expect(paused.length, report.summary).toBeGreaterThan(0);
      for (const overlap of paused) expect(overlap.holder.ending, report.summary).toMatch(/^(lost|not-leader)$/);
      const own = paused[0]?.holder;
      console.log(
        `etcd ${report.type}: ${stopped.memberId}, stopped while holding ${own?.token}, then ${own?.ending}${own?.end?.detail ? ` (${own.end.detail})` : ''}; ${paused.length} holds by others began meanwhile`,
      );
    }
  });

  it('a holder and a leader partitioned past the TTL (every packet dropped) are told before anyone else takes over', async () => {
    await using net = await startNetns();
    await using server = await startEtcd({ netns: net });
    const hosts = await Promise.all(NAMES.map((name) => net.host(name)));
    await using workers = await startHistoryWorkers({
      url: server.url,
      names: NAMES,
      hosts,
      ttl: TTL,
      duration: PARTITION_RUN,
      cwd: PACKAGE,
      ...LONG_HOLDS,
    });

    // 1. Partition the lock holder's host past its TTL, then heal it.
    const cutHolder = await workers.partitionHolder(LOCK, { bound: BOUND });
    await sleep(PARTITIONED);
    await cutHolder.heal();

    // 2. The same to the leader's host.
    const cutLeader = await workers.partitionHolder(LEADERSHIP, { bound: BOUND });
    await sleep(PARTITIONED);
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
        `etcd ${report.type}, partitioned: ${JSON.stringify({ ...partitionFigures(report, cut, window), ...counts })}\n${report.summary}`,
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
