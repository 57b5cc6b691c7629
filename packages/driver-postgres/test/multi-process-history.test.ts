/**
 * The multi-process fault test of the postgres driver, on @tooz/testing's
 * history harness: three worker processes take turns on one lock (a few
 * protected writes per hold, each checked with `lease.state` and
 * `lease.signal` first) and stand for one leadership (a protected write now
 * and then, checked with `leadership.value` and `leadership.term`),
 * recording everything. The test stops the lock holder with SIGSTOP for
 * 2.5 session timeouts and continues it, does the same to the leader, then
 * restarts the server (PostgreSQL keeps its tables, so the fencing
 * counters) while a worker holds the lock, lets them run to the end, merges
 * the histories and asserts on the checker's counts, never on timings.
 *
 * What the postgres driver promises here: liveness is the database session
 * (session-level advisory locks), not a TTL. A stopped process's kernel
 * still answers the server's TCP keepalives, so the server keeps its session
 * and its locks: the others wait, and nobody acquires the lock or the seat
 * while it is stopped (`pausedOverlaps` 0, as on the file driver). Once
 * continued, the stopped worker's first read finds its session deadline
 * (the send of its last answered statement plus the session timeout, here
 * core's `ttl`, minus 10 %) passed and is told `lost`; the driver then ends
 * the old server session before anyone else can take what it held. A
 * restart ends every session: each holder's connection drops and it is told
 * `lost` at once, long before the restarted server can grant anything; the
 * advisory locks go with the sessions, while the counters (the tokens) are
 * rows and survive. So every violation count must be zero: no unsignalled
 * overlap, no stale write, no write outside a hold, no token regression.
 *
 * PostgreSQL does not lose its committed data on a restart (nor on a kill:
 * crash recovery), so tokens never start again and there is no case here in
 * which the token would be the only safety net; no count is allowed. (The
 * advisory locks a restart does lose were held by sessions that are told of
 * their end as their connections drop.)
 */
import { fileURLToPath } from 'node:url';
import { type HistoryEntry, type HistoryReport, monotonicNow, startHistoryWorkers } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { startPostgres } from './support/servers.js';

/** The workers load @tooz/driver-postgres (for `postgres://`) from this package's directory. */
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/** Core's `ttl`: the session timeout (locks have no TTL here). */
const TTL = 1_000;
const STOPPED = 2.5 * TTL;
const LOCK = 'history-lock';
const LEADERSHIP = 'history-leadership';
/** A hang guard for each wait below, never a timing assertion. */
const BOUND = 30_000;
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

describe('postgres driver, three processes, recorded and checked', () => {
  it('a holder and a leader stopped past the session timeout keep what they hold (the others wait) and are told once continued; a restart ends every session, and holders are told', async () => {
    await using server = await startPostgres();
    await using workers = await startHistoryWorkers({
      url: server.url,
      count: 3,
      ttl: TTL,
      duration: 15_000,
      cwd: PACKAGE,
    });

    // 1. SIGSTOP the lock holder past the session timeout, then SIGCONT it.
    const stoppedHolder = await workers.pauseHolder(LOCK, { bound: BOUND });
    const holderStopped = { from: monotonicNow(), to: 0n };
    await sleep(STOPPED);
    holderStopped.to = monotonicNow();
    await stoppedHolder.resume();

    // 2. The same to the leader.
    const stoppedLeader = await workers.pauseHolder(LEADERSHIP, { bound: BOUND });
    const leaderStopped = { from: monotonicNow(), to: 0n };
    await sleep(STOPPED);
    leaderStopped.to = monotonicNow();
    await stoppedLeader.resume();

    // 3. Restart the server (tables kept; sessions, so advisory locks, ended) while a worker holds the lock.
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
        `postgres ${report.type}: ${JSON.stringify(figures(report, restarting, restarted))}\n${report.summary}`,
      );
    }

    for (const report of [lock, leadership]) {
      expect(report.counts, report.summary).toMatchObject(VIOLATIONS);
      expect(report.ok, report.summary).toBe(true);
      // Session liveness: nothing passed on while a worker was stopped (checked below, per stop).
      expect(report.counts.pausedOverlaps, report.summary).toBe(0);
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
    // While the holder (then the leader) was stopped, nobody else took the lock (the seat): its session lived on.
    for (const [report, stopped, window] of [
      [lock, stoppedHolder, holderStopped],
      [leadership, stoppedLeader, leaderStopped],
    ] as const) {
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
        `postgres ${report.type}: ${stopped.memberId}, stopped while holding ${own?.token}, then ${own?.ending}${own?.end?.detail ? ` (${own.end.detail})` : ''}`,
      );
    }
  });
});
