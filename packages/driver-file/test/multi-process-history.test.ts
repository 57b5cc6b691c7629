/**
 * The multi-process fault test of the file driver, on @tooz/testing's
 * history harness: three worker processes take turns on one lock (a few
 * protected writes per hold, each checked with `lease.state` and
 * `lease.signal` first) and stand for one leadership, recording everything;
 * the test stops one holder with SIGSTOP for longer than the TTL given to
 * core, continues it, kills another holder with SIGKILL, then merges the
 * histories and asserts on the checker's counts, never on timings.
 *
 * What the file driver promises here: its liveness is the process. A
 * stopped process keeps its kernel lock (there is no TTL or connection to
 * time out), so the others simply wait, and nobody acquires while it is
 * stopped; the stopped holder, continued, finds its lease still held and
 * carries on. A killed process's locks are dropped by the kernel at once and
 * the next holder's token is greater. So: no overlap at all (not even one
 * excused by the pause), no stale write, tokens strictly increasing.
 */
import { fileURLToPath } from 'node:url';
import { startHistoryWorkers } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { scratchDirectory } from './support.js';

/** The workers load @tooz/driver-file (for `file://`) from this package's directory. */
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const directory = scratchDirectory('history');

const TTL = 500;
const LOCK = 'history-lock';
const NONE = { unsignalledOverlaps: 0, pausedOverlaps: 0, staleWrites: 0, unheldWrites: 0, tokenRegressions: 0 };

describe('file driver, three processes, recorded and checked', () => {
  it('a stopped holder keeps the lock (the others wait), a killed one loses it at once; nothing is held twice', async () => {
    await using workers = await startHistoryWorkers({
      url: `file://${directory}`,
      count: 3,
      ttl: TTL,
      duration: 5_000,
      cwd: PACKAGE,
    });

    // SIGSTOP a worker while it holds the lock, for three TTLs.
    const stopped = await workers.pauseHolder(LOCK);
    await new Promise((resolve) => setTimeout(resolve, 3 * TTL));
    await stopped.resume();

    // SIGKILL a worker while it holds the lock (stopped first, so that it surely holds it when killed).
    const killed = await workers.pauseHolder(LOCK, { except: [stopped] });
    await killed.kill();

    const exits = await workers.finished(20_000);
    for (const exit of exits) {
      if (exit.memberId === killed.memberId) expect(exit.signal).toBe('SIGKILL');
      else expect(exit).toEqual({ memberId: exit.memberId, code: 0, signal: null });
    }

    const history = await workers.history();
    const lock = await workers.check(LOCK);
    expect(lock.counts, lock.summary).toMatchObject(NONE);
    expect(lock.ok).toBe(true);
    for (const worker of workers.workers) expect(lock.holdsPerProcess[worker.memberId] ?? 0).toBeGreaterThan(0);

    // Nobody else acquired while the holder was stopped: on this driver the others wait.
    const paused = history.find((e) => e.kind === 'paused' && e.process === stopped.memberId);
    const resumed = history.find((e) => e.kind === 'resumed' && e.process === stopped.memberId);
    const duringPause = history.filter(
      (e) =>
        e.kind === 'acquire' &&
        e.resource === LOCK &&
        paused &&
        resumed &&
        e.time > paused.time &&
        e.time < resumed.time,
    );
    expect(duringPause).toEqual([]);
    // The stopped holder carried on with the hold it had: its next entry on the lock is a write or the release.
    const afterResume = history.find(
      (e) => e.process === stopped.memberId && e.resource === LOCK && resumed && e.time > resumed.time,
    );
    expect(afterResume?.kind).toMatch(/^(write|release)$/);

    // The killed holder's hold ends with its death, and the lock went on to others with greater tokens.
    const killedHold = lock.holds.find((hold) => hold.process === killed.memberId && hold.ending === 'killed');
    expect(killedHold).toBeDefined();
    const after = lock.holds.filter((hold) => hold.start.time > (killedHold?.until ?? 0n));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((hold) => (hold.token ?? 0n) > (killedHold?.token ?? 0n))).toBe(true);

    const leadership = await workers.checkLeadership();
    expect(leadership.counts, leadership.summary).toMatchObject(NONE);
    expect(leadership.counts.holds).toBeGreaterThan(1);
  });
});
