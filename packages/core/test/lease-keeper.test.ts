import { ConnectionError } from '@tooz/core';
import { defer, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../src/internal/lease-keeper.js';
import type { SessionLease } from '../src/spi/driver.js';

/** A lease whose backend can be made unreachable, or made to forget the lease. */
function lease(ttl: number) {
  const backend = { reachable: true, known: true, beats: 0, renewals: 0 };
  const down = () => throwError(() => new ConnectionError('unreachable'));
  const spi: SessionLease = {
    ttl,
    beat: () =>
      defer(() => {
        backend.beats++;
        return backend.reachable ? of(backend.known) : down();
      }),
    renew: () =>
      defer(() => {
        backend.renewals++;
        if (!backend.reachable) return down();
        backend.known = true;
        return of(undefined);
      }),
  };
  return { spi, backend };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('LeaseKeeper', () => {
  it('beats every ttl/3 and stays silent while healthy', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40);
      expectObservable(keeper.signals$).toBe('300ms |');
      keeper.start();
      // The keeper beats for ever; stopping it ends the virtual run.
      ts.schedule(() => keeper.stop(), 300);
    });
    expect(backend.beats).toBe(9);
  });

  it('suspends at the first failed beat, loses at last confirmed + ttl - margin, renews when reachable', () => {
    const ts = scheduler();
    const { spi, backend } = lease(90);
    ts.run(({ expectObservable }) => {
      const keeper = new LeaseKeeper(spi, ts, 10, 40);
      ts.schedule(() => {
        backend.reachable = false;
      }, 40);
      ts.schedule(() => {
        backend.reachable = true;
      }, 150);
      // Confirmed at 30; beats fail at 60, 70, 90; lost at 30 + 90 - 9 = 111;
      // renewals fail at 111, succeed at 151.
      expectObservable(keeper.signals$).toBe('60ms s 50ms l 39ms r 48ms |', {
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
      const keeper = new LeaseKeeper(spi, ts, 10, 40);
      ts.schedule(() => {
        backend.known = false;
      }, 45);
      expectObservable(keeper.signals$).toBe('60ms (lr) 36ms |', { l: 'lost', r: 'reconnected' });
      keeper.start();
      ts.schedule(() => keeper.stop(), 100);
    });
    expect(backend.renewals).toBe(1);
  });
});
