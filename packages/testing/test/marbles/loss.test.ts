import { CoordinatorClosedError, type LeaseState, type LockLease, LockLostError, type Stall } from '@tooz/core';
import { virtualCluster } from '@tooz/testing/marbles';
import { map, switchMap } from 'rxjs';
import { describe, expect, it } from 'vitest';

const states = { h: 'held', r: 'at-risk', l: 'lost', x: 'released' } satisfies Record<string, LeaseState>;

describe('loss is known the moment it is true, in virtual time', () => {
  it('the first read after an event-loop stall past the TTL says lost, before any overdue timer runs', async () => {
    const {
      scheduler,
      stall,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    const reads: unknown[] = [];
    let lease: LockLease | undefined;
    scheduler.run(() => {
      const lock = a.lock('x').subscribe({
        next: (held) => {
          lease = held;
        },
        error: () => undefined,
      });
      const leadership = a.leadership('g');
      const seat = leadership.subscribe();
      scheduler.schedule(() => {
        reads.push(lease?.state, lease?.signal.aborted, leadership.value, leadership.term !== undefined);
        // Nothing the coordinator scheduled has run since: only the reads themselves can tell.
        stall('a', 200);
        reads.push(lease?.state, lease?.signal.aborted, leadership.value, leadership.term);
      }, 20);
      scheduler.schedule(() => {
        lock.unsubscribe();
        seat.unsubscribe();
      }, 30);
    });
    expect(reads).toEqual(['held', false, true, true, 'lost', true, false, undefined]);
    expect(lease?.signal.reason).toEqual(new LockLostError('x', 'expired'));
  });

  it('a reconnect heard after a stall past the TTL does not revive the hold: it reads lost, never held again', async () => {
    const {
      scheduler,
      server,
      stall,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    const seen: LeaseState[] = [];
    scheduler.run(() => {
      const lock = a.lock('x').subscribe({
        next: (lease) => lease.state$.subscribe((state) => seen.push(state)),
        error: () => undefined,
      });
      scheduler.schedule(() => server.suspend('a'), 10);
      // Stopped past the deadline (90): the reconnect is the first thing it hears, before its overdue loss timer.
      scheduler.schedule(() => {
        stall('a', 200);
        server.resume('a');
      }, 20);
      scheduler.schedule(() => lock.unsubscribe(), 400);
    });
    expect(seen).toEqual(['held', 'at-risk', 'lost']);
  });

  it('a stall that eats the margin turns holds at-risk until a refresh sent after it confirms them', async () => {
    const {
      scheduler,
      stall,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    const stalls: Stall[] = [];
    a.stalls$.subscribe((s) => stalls.push(s));
    scheduler.run(({ expectObservable }) => {
      // Stalled for 50 at 15: the watchdog's tick due at 20 runs 50 late; the hold (deadline 90) is still in force.
      scheduler.schedule(() => stall('a', 50), 15);
      const lease$ = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(lease$, '^ 59ms !').toBe('h 19ms (rh)', states);
    });
    expect(stalls).toEqual([{ at: 70, lag: 50 }]);
  });

  it('a grant answered late is watched by a loss timer from the start, dated from its send', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100, latency: 80 });
    scheduler.run(({ expectObservable }) => {
      // Sent at 0, answered at 80: its deadline is 0 + 100 - 10 = 90, before the server's expiry at 100.
      // The refresh goes at once and is slow too, so the loss timer decides (it was armed at 113 before).
      const lease$ = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(lease$).toBe('80ms h 9ms (l#)', states, new LockLostError('x', 'expired'));
    });
  });

  it('a grant answered late is refreshed at once, not a third of the TTL after the answer', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100, latency: 80 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => {
        server.latency = 0;
      }, 1);
      // Refreshed at 80 (due at 0 + 33), so still held long after 90.
      const lease$ = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(lease$, '^ 299ms !').toBe('80ms h', states);
    });
  });

  it('a join answered after the reconnection stays joined: its refresh is due from the send', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    await a.group('g').create();
    scheduler.run(({ expectObservable }) => {
      // Sent at 0 into a partition; the wire resumes at 60 (reconnected first, then the answer).
      server.suspend('a');
      scheduler.schedule(() => server.resume('a'), 60);
      const membership = a
        .group('g')
        .join()
        .pipe(map(() => 'in'));
      expectObservable(membership, '^ 299ms !').toBe('60ms i', { i: 'in' });
    });
  });

  it('a loss that reaches the client before the answer to its acquire is not dropped', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000, latency: 5 });
    scheduler.run(({ expectObservable }) => {
      // Granted on the server at 0, answered at 5; broken at 2, in between. The lease is never handed out
      // (it would read held until the first refresh at 338 before).
      scheduler.schedule(() => server.deleteLock('x'), 2);
      const lease$ = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(lease$).toBe('5ms #', states, new LockLostError('x', 'stolen'));
    });
  });

  it('a released lease reads released, and leadership given up reads false', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    let lease: LockLease | undefined;
    scheduler.run(({ expectObservable }) => {
      const lock = a.lock('x').subscribe((held) => {
        lease = held;
      });
      scheduler.schedule(() => lock.unsubscribe(), 10);
      expectObservable(a.lock('y').pipe(switchMap((held) => held.state$)), '^ 9ms !').toBe('h', states);
    });
    expect([lease?.state, lease?.signal.aborted]).toEqual(['released', false]);
  });

  it('close() completes held locks and aborts their signals as closed: not a loss', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    let lease: LockLease | undefined;
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => void a.close(), 10);
      const lock$ = a.lock('x').pipe(
        map((held) => {
          lease = held;
          return 'h';
        }),
      );
      expectObservable(lock$).toBe('h 9ms |');
      expectObservable(a.leadership('g')).toBe('t 9ms (f|)', { t: true, f: false });
    });
    expect(lease?.state).toBe('released');
    expect(lease?.signal.reason).toBeInstanceOf(CoordinatorClosedError);
  });
});
