import { ConnectionError } from '@tooz/core';
import { delay, defer, map, of, type SchedulerLike, Subject, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../src/internal/lease-keeper.js';
import type { SessionLease } from '../src/spi/driver.js';

/** A lease whose backend can be made unreachable, or made to forget the lease. */
function lease(ttl: number, options: { sentAt?: number; scheduler?: SchedulerLike } = {}) {
  const backend = { reachable: true, known: true, beats: 0, renewals: 0, renewLatency: 0, partitioned: false };
  // While partitioned, requests are held (as by a paused network) and all answered when it heals.
  const healed = new Subject<void>();
  const heal = () => {
    backend.partitioned = false;
    healed.next();
  };
  const held = <T>(answer: () => T) => (backend.partitioned ? healed.pipe(take(1), map(answer)) : of(answer()));
  const down = () => throwError(() => new ConnectionError('unreachable'));
  const spi: SessionLease = {
    ttl,
    ...(options.sentAt === undefined ? {} : { sentAt: options.sentAt }),
    beat: () =>
      defer(() => {
        backend.beats++;
        return backend.reachable ? held(() => backend.known) : down();
      }),
    renew: () =>
      defer(() => {
        backend.renewals++;
        if (!backend.reachable) return down();
        backend.known = true;
        const latency = backend.renewLatency;
        if (latency > 0 && options.scheduler) return of(undefined).pipe(delay(latency, options.scheduler));
        return held(() => undefined);
      }),
  };
  return { spi, backend, heal };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('LeaseKeeper', () => {
  it('beats every ttl/6 and stays silent while healthy', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      expectObservable(keeper.signals$).toBe('300ms |');
      keeper.start();
      // The keeper beats for ever; stopping it ends the virtual run.
      ts.schedule(() => keeper.stop(), 300);
    });
    expect(backend.beats).toBe(19);
  });

  it('suspends at the first failed beat, loses at last confirmed + ttl - margin, renews when reachable', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.reachable = false;
      }, 40);
      ts.schedule(() => {
        backend.reachable = true;
      }, 150);
      // Confirmed at 30; beats fail at 45, 55, 75; lost at 30 + 90 - 9 = 111;
      // renewals fail at 111, succeed at 151.
      expectObservable(keeper.signals$).toBe('45ms s 65ms l 39ms r 48ms |', {
        s: 'suspended',
        l: 'lost',
        r: 'reconnected',
      });
      keeper.start();
      ts.schedule(() => keeper.stop(), 200);
    });
  });

  it('reports a lease the backend forgot as lost at once, then renews it', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.known = false;
      }, 45);
      expectObservable(keeper.signals$).toBe('45ms (lr) 51ms |', { l: 'lost', r: 'reconnected' });
      keeper.start();
      ts.schedule(() => keeper.stop(), 100);
    });
    expect(backend.renewals).toBe(1);
  });

  it('dates the first deadline from the send of the grant, not from when the keeper starts', () => {
    const ts = scheduler();
    // The grant was sent 60 ms before open() returned: only 21 ms of the lease are left.
    const { spi, backend } = lease(90, { sentAt: -60 });
    backend.reachable = false;
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.reachable = true;
      }, 50);
      // The first beat is already due at 0 and fails; lost at -60 + 90 - 9 = 21 (not 81); renewed at 61.
      expectObservable(keeper.signals$).toBe('s 20ms l 39ms r 38ms |', {
        s: 'suspended',
        l: 'lost',
        r: 'reconnected',
      });
      keeper.start();
      ts.schedule(() => keeper.stop(), 100);
    });
  });

  it('beats at once after a renewal answered late, so no second loss follows the reconnection', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90, { scheduler: ts });
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.known = false;
        backend.renewLatency = 60;
      }, 40);
      // Lost at 45; the renewal sent at 45 is answered at 105 (deadline 45 + 81 = 126). The next beat is due
      // at 45 + 15, so it goes at once, instead of at 135 past the deadline (which lost the lease again at 126).
      expectObservable(keeper.signals$).toBe('45ms l 59ms r 94ms |', { l: 'lost', r: 'reconnected' });
      keeper.start();
      ts.schedule(() => keeper.stop(), 200);
    });
    expect(backend.beats).toBeGreaterThanOrEqual(8);
  });

  it('renews again, and never reports reconnected, when a renewal is answered past its own deadline', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90, { scheduler: ts });
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.known = false;
        backend.renewLatency = 100;
      }, 40);
      ts.schedule(() => {
        backend.renewLatency = 0;
      }, 150);
      // Renewal sent at 45 would answer at 145, past 45 + 81 = 126: abandoned at 126 and sent again; that one
      // (latency 100) is abandoned at 207 and the third, sent at 207 with no latency, reconnects.
      expectObservable(keeper.signals$).toBe('45ms l 161ms r 42ms |', { l: 'lost', r: 'reconnected' });
      keeper.start();
      ts.schedule(() => keeper.stop(), 250);
    });
    expect(backend.renewals).toBe(3);
  });

  it('survives a partition of 0.6 TTL: an unanswered beat means suspended, and more beats go out beside it', () => {
    const ts = scheduler();
    const { spi, backend, heal } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.partitioned = true;
      }, 31);
      ts.schedule(heal, 85);
      // Confirmed at 30 (deadline 111); beats at 45, 60, 75 are held; 60 finds 45 unanswered; all answer at 85.
      expectObservable(keeper.signals$).toBe('60ms s 24ms r 114ms |', { s: 'suspended', r: 'reconnected' });
      keeper.start();
      ts.schedule(() => keeper.stop(), 200);
    });
    expect(backend.beats).toBeGreaterThanOrEqual(12);
  });

  it('after a partition of 1.3 TTL: one loss, one renewal, and steady afterwards', () => {
    const ts = scheduler();
    const { spi, backend, heal } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40, 0);
      ts.schedule(() => {
        backend.partitioned = true;
      }, 31);
      ts.schedule(heal, 148);
      // Lost at 30 + 81 = 111; the renewal sent then is answered at 148 (its deadline is 192): reconnected,
      // and the beat already due goes at once, so nothing more is reported.
      expectObservable(keeper.signals$).toBe('60ms s 50ms l 36ms r 151ms |', {
        s: 'suspended',
        l: 'lost',
        r: 'reconnected',
      });
      keeper.start();
      ts.schedule(() => keeper.stop(), 300);
    });
    expect(backend.renewals).toBe(1);
  });
});
