import { LockLostError, LockTimeoutError, type LockLease } from '@tooz/core';
import { virtualCluster } from '@tooz/testing/marbles';
import { map, switchMap } from 'rxjs';
import { describe, it } from 'vitest';

const token = map((lease: LockLease) => lease.fencingToken);

describe('lock state machine, in virtual time', () => {
  it('hands off to a waiter the moment the holder unsubscribes', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(token), '^ 49ms !').toBe('a', { a: 1n });
      expectObservable(b.lock('x').pipe(token), '10ms ^ 99ms !').toBe('50ms b', { b: 2n });
    });
  });

  it('hands off within one round trip when replies take time', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, latency: 5 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(token), '^ 49ms !').toBe('5ms a', { a: 1n });
      // Released at 50 (the request arrives at once); b's retry answers 5 ms later.
      expectObservable(b.lock('x').pipe(token), '10ms ^ 99ms !').toBe('55ms b', { b: 2n });
    });
  });

  it('keeps the lock through refreshes, so a waiter times out', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 100 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(token), '^ 999ms !').toBe('a', { a: 1n });
      expectObservable(b.lock('x', { wait: 500 }).pipe(token), '30ms ^').toBe(
        '530ms #',
        undefined,
        new LockTimeoutError('x', 500),
      );
    });
  });

  it('tells a cut-off holder it lost the lock before the server can give it away', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 100 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('a'), 20);
      const states = a.lock('x').pipe(switchMap((lease) => lease.state$));
      // Local deadline: last confirmed (0) + TTL (100) - margin (10) = 90. The server lets go at 100.
      expectObservable(states).toBe(
        'h 19ms r 69ms (l#)',
        { h: 'held', r: 'at-risk', l: 'lost' },
        new LockLostError('x', 'expired'),
      );
      expectObservable(b.lock('x').pipe(token), '30ms ^ 199ms !').toBe('100ms b', { b: 2n });
    });
  });

  it('moves to at-risk while suspended and back to held on resume', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('a'), 20);
      scheduler.schedule(() => server.resume('a'), 50);
      const states = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(states, '^ 99ms !').toBe('h 19ms r 29ms h', { h: 'held', r: 'at-risk' });
    });
  });

  it('reports session expiry as a loss at once', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.expireSession('a'), 30);
      expectObservable(a.lock('x').pipe(token)).toBe('a 29ms #', { a: 1n }, new LockLostError('x', 'session-lost'));
    });
  });

  it('reports a key deleted behind the holder as stolen, and the next holder has a higher token', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.deleteLock('x'), 40);
      expectObservable(a.lock('x').pipe(token)).toBe('a 39ms #', { a: 1n }, new LockLostError('x', 'stolen'));
      expectObservable(b.lock('x').pipe(token), '10ms ^ 99ms !').toBe('40ms b', { b: 2n });
    });
  });

  it('queues two subscriptions of one coordinator locally, in order', async () => {
    const {
      scheduler,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(token), '^ 19ms !').toBe('a', { a: 1n });
      expectObservable(a.lock('x').pipe(token), '5ms ^ 19ms !').toBe('20ms b', { b: 2n });
      expectObservable(a.lock('x').pipe(token), '6ms ^ 99ms !').toBe('25ms c', { c: 3n });
    });
  });

  it('never hands out a lock granted in a session that was lost while the answer was on its way', async () => {
    const {
      scheduler,
      server,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, latency: 5 });
    scheduler.run(({ expectObservable }) => {
      // a's request is granted at 0 and answered at 5; its session is lost at 2, taking the lock with it.
      scheduler.schedule(() => server.expireSession('a'), 2);
      expectObservable(b.lock('x').pipe(token), '3ms ^ 46ms !').toBe('8ms b', { b: 2n });
      // a goes again in its new session, and holds only after b has let go at 50 (one round trip later).
      expectObservable(a.lock('x').pipe(token), '^ 99ms !').toBe('55ms a', { a: 3n });
    });
  });

  it('a lock granted while the connection is suspended starts at-risk', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000, latency: 5 });
    scheduler.run(({ expectObservable }) => {
      // Granted at 0, answered at 5 while suspended since 2: not provable until the connection is back.
      scheduler.schedule(() => server.suspend('a'), 2);
      scheduler.schedule(() => server.resume('a'), 20);
      const states = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(states, '^ 99ms !').toBe('5ms r 14ms h', { r: 'at-risk', h: 'held' });
    });
  });
});
