import { MembershipLostError, withLock } from '@tooz/core';
import { virtualCluster } from '@tooz/testing/marbles';
import { concat, defer, map, timer } from 'rxjs';
import { describe, it } from 'vitest';

describe('membership state machine, in virtual time', () => {
  it('pushes joined, updated and left events', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    await a.group('g').create();
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => void b.group('g').updateCapabilities({ w: 2 }), 20);
      const events = a.group('g').events$.pipe(map((e) => `${e.type}:${e.memberId}`));
      expectObservable(events, '^ 99ms !').toBe('10ms j 9ms u 9ms l', { j: 'joined:b', u: 'updated:b', l: 'left:b' });
      expectObservable(
        b
          .group('g')
          .join({ w: 1 })
          .pipe(map(() => 'in')),
        '10ms ^ 19ms !',
      ).toBe('10ms i', { i: 'in' });
    });
  });

  it('members$ replays the snapshot, then one per change', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    await a.group('g').create();
    scheduler.run(({ expectObservable }) => {
      const ids = a.group('g').members$.pipe(map((members) => [...members.keys()].sort().join(',') || '-'));
      expectObservable(a.group('g').join(), '^ 99ms !');
      expectObservable(b.group('g').join(), '20ms ^ 19ms !');
      expectObservable(ids, '5ms ^ 89ms !').toBe('5ms a 14ms b 19ms a', { a: 'a', b: 'a,b' });
    });
  });

  it('a member cut off past its TTL is told first, then seen leaving', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 100 });
    await a.group('g').create();
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('b'), 20);
      expectObservable(
        b
          .group('g')
          .join()
          .pipe(map(() => 'in')),
      ).toBe('i 89ms #', { i: 'in' }, new MembershipLostError('g', 'b', 'expired'));
      const events = a.group('g').events$.pipe(map((e) => `${e.type}:${e.memberId}`));
      expectObservable(events, '^ 199ms !').toBe('100ms l', { l: 'left:b' });
    });
  });
});

describe('withLock, in virtual time', () => {
  it('holds the lock for exactly the work, then hands it on', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      const work = withLock(a, 'x', (lease) => concat(timer(20, scheduler).pipe(map(() => lease.fencingToken))));
      expectObservable(work).toBe('20ms (t|)', { t: 1n });
      expectObservable(b.lock('x').pipe(map((lease) => lease.fencingToken)), '5ms ^ 99ms !').toBe('20ms u', { u: 2n });
    });
  });

  it('releases when the work errors', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      const failure = new Error('boom');
      const work = withLock(a, 'x', () =>
        defer(() =>
          timer(15, scheduler).pipe(
            map(() => {
              throw failure;
            }),
          ),
        ),
      );
      expectObservable(work).toBe('15ms #', undefined, failure);
      expectObservable(b.lock('x').pipe(map((lease) => lease.fencingToken)), '5ms ^ 99ms !').toBe('15ms u', { u: 2n });
    });
  });

  it('a join answered after its session was lost is reported lost, never joined', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    await a.group('g').create();
    server.latency = 5;
    scheduler.run(({ expectObservable }) => {
      // Joined at 0 and answered at 5; b's session is lost at 2, taking the membership with it.
      scheduler.schedule(() => server.expireSession('b'), 2);
      expectObservable(
        b
          .group('g')
          .join()
          .pipe(map(() => 'in')),
      ).toBe('5ms #', undefined, new MembershipLostError('g', 'b', 'session-lost'));
    });
  });

  it('events$ emits a join that arrives while its first read is in flight', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    await a.group('g').create();
    server.latency = 5;
    scheduler.run(({ expectObservable }) => {
      // The read is served at 0 (without b) and answered at 5; b's join lands at 2, pushed at once.
      const events = a.group('g').events$.pipe(map((e) => `${e.type}:${e.memberId}`));
      expectObservable(events, '^ 99ms !').toBe('5ms j', { j: 'joined:b' });
      expectObservable(b.group('g').join(), '2ms ^ 97ms !');
    });
  });
});
