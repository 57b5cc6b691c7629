import type { LockLease } from '@tooz/core';
import { virtualCluster } from '@tooz/testing/marbles';
import { map } from 'rxjs';
import { describe, it } from 'vitest';

// A backend with no notifications at all (memcached, MySQL): core polls every `pollInterval`.
const poll = { notifications: 'poll', pollInterval: 20 } as const;

describe('core-owned polling, in virtual time', () => {
  it('a waiter takes the lock at the first poll after the release', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, ...poll });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(map((lease: LockLease) => lease.fencingToken)), '^ 49ms !').toBe('a', {
        a: 1n,
      });
      // b is refused at 10 (twice: the second look is in case of a release before its watch), then polls every 20.
      expectObservable(b.lock('x').pipe(map((lease: LockLease) => lease.fencingToken)), '10ms ^ 99ms !').toBe(
        '50ms b',
        { b: 2n },
      );
    });
  });

  it('leader$ follows a change within one poll interval', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, ...poll });
    scheduler.run(({ expectObservable }) => {
      // a gives the seat up at 30; b's watch polls at 25, 45, ...
      expectObservable(a.leadership('g'), '^ 29ms !');
      expectObservable(b.leadership('g').leader$, '5ms ^ 99ms !').toBe('5ms a 39ms n', { a: 'a', n: null });
    });
  });

  it('events$ sees a join and a leave within one poll interval', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, ...poll });
    await a.group('g').create();
    scheduler.run(({ expectObservable }) => {
      const events = a.group('g').events$.pipe(map((e) => `${e.type}:${e.memberId}`));
      expectObservable(events, '^ 99ms !').toBe('20ms j 39ms l', { j: 'joined:b', l: 'left:b' });
      expectObservable(b.group('g').join(), '5ms ^ 49ms !');
    });
  });
});
