import { whileLeader } from '@tooz/core';
import { virtualCluster } from '@tooz/testing/marbles';
import { interval, map, Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';

const tf = { t: true, f: false };

describe('leadership state machine, in virtual time', () => {
  it('elects the first candidate and fails over when it withdraws', async () => {
    const {
      scheduler,
      members: { a, b, c },
    } = await virtualCluster(['a', 'b', 'c'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.leadership('g'), '^ 49ms !').toBe('t', tf);
      expectObservable(b.leadership('g'), '10ms ^ 99ms !').toBe('10ms f 39ms t', tf);
      // Anyone may watch who leads, without standing; between two terms the seat is briefly empty.
      expectObservable(c.leadership('g').leader$, '^ 99ms !').toBe('a 49ms (nb)', { a: 'a', b: 'b', n: null });
    });
  });

  it('stands down: the seat passes over and back, never held twice', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => void a.leadership('g').standDown(), 30);
      scheduler.schedule(() => void b.leadership('g').standDown(), 60);
      expectObservable(a.leadership('g'), '^ 99ms !').toBe('t 29ms f 29ms t', tf);
      expectObservable(b.leadership('g'), '^ 94ms !').toBe('f 29ms t 29ms f', tf);
    });
  });

  it('a lone candidate that stands down runs again after the grace period', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000, standDownGrace: 40 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => void a.leadership('g').standDown(), 10);
      expectObservable(a.leadership('g'), '^ 99ms !').toBe('t 9ms f 39ms t', tf);
    });
  });

  it('turns false at once on suspension and true again on resume within the TTL', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('a'), 20);
      scheduler.schedule(() => server.resume('a'), 50);
      expectObservable(a.leadership('g'), '^ 99ms !').toBe('t 19ms f 29ms t', tf);
      // b never leads meanwhile: a's seat outlived the suspension.
      expectObservable(b.leadership('g'), '5ms ^ 89ms !').toBe('5ms f', tf);
    });
  });

  it('fails over when the leader is cut off past its TTL, and the old leader knows first', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 100 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('a'), 20);
      expectObservable(a.leadership('g'), '^ 199ms !').toBe('t 19ms f', tf);
      // The server frees the seat at 100 (the last refresh it saw was at 0).
      expectObservable(b.leadership('g'), '5ms ^ 194ms !').toBe('5ms f 94ms t', tf);
    });
  });

  it('whileLeader runs the work only while leading', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000, standDownGrace: 30 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => void a.leadership('g').standDown(), 25);
      const work = a.leadership('g').pipe(whileLeader(() => interval(10, scheduler).pipe(map((i) => `w${i}`))));
      // Ticks at 10, 20; stopped at 25; leading again at 55, ticks at 65, 75.
      expectObservable(work, '^ 79ms !').toBe('10ms a 9ms b 44ms a 9ms b', { a: 'w0', b: 'w1' });
    });
  });

  it('a loss found from inside a subscriber reaches every subscriber after the true it follows', async () => {
    const {
      scheduler,
      stall,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    // What each of b's subscribers last heard, checked against b's own read at every tick.
    const heard: boolean[] = [false, false];
    const disagreements: string[] = [];
    let stalled = false;
    scheduler.run(() => {
      const subscriptions = new Subscription();
      subscriptions.add(a.leadership('g').subscribe());
      // The first does synchronous work past the TTL when it starts leading, then reads its term:
      // the read evaluates the deadlines, so the loss is reported from inside this callback.
      subscriptions.add(
        b.leadership('g').subscribe((value) => {
          heard[0] = value;
          if (!value || stalled) return;
          stalled = true;
          stall('b', 5_000);
          void b.leadership('g').term;
        }),
      );
      subscriptions.add(
        b.leadership('g').subscribe((value) => {
          heard[1] = value;
        }),
      );
      scheduler.schedule(() => void a.leadership('g').standDown(), 30);
      for (let at = 31; at < 200; at += 1) {
        scheduler.schedule(() => {
          const value = b.leadership('g').value;
          if (heard[0] !== value || heard[1] !== value) disagreements.push(`${at}ms: read ${value}, heard ${heard}`);
        }, at);
      }
      scheduler.schedule(() => subscriptions.unsubscribe(), 200);
    });
    expect(stalled).toBe(true);
    expect(disagreements).toEqual([]);
  });
});
