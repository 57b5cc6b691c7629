import { type LockLease, LockLostError, LockTimeoutError } from '@tooz/core';
import { TOOZ_ATTRIBUTES, TOOZ_METRICS, TOOZ_SPANS } from '@tooz/core/opentelemetry';
import { map, switchMap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualCluster } from '../../../testing/src/marbles.js';
import { type Harness, ms, otelHarness } from './harness.js';

const token = map((lease: LockLease) => lease.fencingToken);
const lockX = { 'tooz.driver': 'memory', 'tooz.lock.name': 'x', 'tooz.lock.kind': 'lock' };

let otel: Harness;
beforeEach(() => {
  otel = otelHarness();
});
afterEach(() => otel.stop());

describe('OpenTelemetry instrumentation of locks, in virtual time', () => {
  it('records wait and hold times, round trips and one span per acquire and release', async () => {
    const {
      scheduler,
      members: { a, b },
    } = await virtualCluster(['a', 'b'], { ttl: 1_000, latency: 5 });
    scheduler.run(({ expectObservable }) => {
      // a: asks at 0, held at 5, releases at 50 (confirmed 55). b: asks at 10, held at 55, releases at 110 (confirmed 115).
      expectObservable(a.lock('x').pipe(token), '^ 49ms !').toBe('5ms a', { a: 1n });
      expectObservable(b.lock('x').pipe(token), '10ms ^ 99ms !').toBe('55ms b', { b: 2n });
    });

    const waits = await otel.points(TOOZ_METRICS.lockWait);
    expect(waits).toHaveLength(1);
    expect(waits[0]?.attributes).toEqual({ ...lockX, 'tooz.lock.outcome': 'acquired' });
    expect(waits[0]?.count).toBe(2);
    expect(ms(waits[0]?.sum)).toBe(5 + 45);

    const holds = await otel.points(TOOZ_METRICS.lockHold);
    expect(holds.map((point) => point.attributes)).toEqual([{ ...lockX, 'tooz.lock.outcome': 'released' }]);
    expect(holds[0]?.count).toBe(2);
    expect(ms(holds[0]?.sum)).toBe(50 + 60);

    // Every request took the server's latency, whatever it was.
    const trips = await otel.points(TOOZ_METRICS.backendOperation);
    const byOperation = new Map(trips.map((point) => [point.attributes[TOOZ_ATTRIBUTES.operation], point]));
    expect(byOperation.get('release')).toMatchObject({ count: 2 });
    expect(ms(byOperation.get('release')?.sum)).toBe(2 * 5);
    for (const point of trips) {
      expect(point.attributes[TOOZ_ATTRIBUTES.driver]).toBe('memory');
      expect(point.attributes[TOOZ_ATTRIBUTES.errorType]).toBeUndefined();
      expect(ms(point.sum)).toBe((point.count ?? 0) * 5);
    }
    expect(byOperation.get('tryAcquire')?.count).toBeGreaterThanOrEqual(2);

    const spans = otel.spans();
    expect(spans.map((span) => span.name).sort()).toEqual([
      TOOZ_SPANS.acquire,
      TOOZ_SPANS.acquire,
      TOOZ_SPANS.release,
      TOOZ_SPANS.release,
    ]);
    const acquires = spans.filter((span) => span.name === TOOZ_SPANS.acquire);
    expect(acquires.map((span) => span.attributes)).toEqual(
      expect.arrayContaining([
        { ...lockX, 'tooz.member.id': 'a', 'tooz.lock.outcome': 'acquired', 'tooz.lock.fencing_token': '1' },
        { ...lockX, 'tooz.member.id': 'b', 'tooz.lock.outcome': 'acquired', 'tooz.lock.fencing_token': '2' },
      ]),
    );
    for (const span of spans) expect(span.status.code).toBe(0);
  });

  it('records a timed-out and a cancelled wait, the timeout as an error span', async () => {
    const {
      scheduler,
      members: { a, b, c },
    } = await virtualCluster(['a', 'b', 'c'], { ttl: 100 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(a.lock('x').pipe(token), '^ 999ms !').toBe('a', { a: 1n });
      expectObservable(b.lock('x', { wait: 500 }).pipe(token), '30ms ^').toBe(
        '530ms #',
        undefined,
        new LockTimeoutError('x', 500),
      );
      expectObservable(c.lock('x').pipe(token), '40ms ^ 19ms !').toBe('');
    });

    const waits = await otel.points(TOOZ_METRICS.lockWait);
    const byOutcome = new Map(waits.map((point) => [point.attributes[TOOZ_ATTRIBUTES.lockOutcome], point]));
    expect([...byOutcome.keys()].sort()).toEqual(['acquired', 'cancelled', 'timeout']);
    expect(ms(byOutcome.get('timeout')?.sum)).toBe(500);
    expect(ms(byOutcome.get('cancelled')?.sum)).toBe(20);
    expect(ms(byOutcome.get('acquired')?.sum)).toBe(0);

    const acquires = otel.spans().filter((span) => span.name === TOOZ_SPANS.acquire);
    const outcomes = new Map(acquires.map((span) => [span.attributes[TOOZ_ATTRIBUTES.lockOutcome], span]));
    expect(outcomes.get('timeout')?.status).toMatchObject({ code: 2 });
    expect(outcomes.get('timeout')?.attributes[TOOZ_ATTRIBUTES.memberId]).toBe('b');
    expect(outcomes.get('cancelled')?.status.code).toBe(0);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('records the time at risk, the hold time and the loss, by reason', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 100 });
    scheduler.run(({ expectObservable }) => {
      // At risk from 20 (suspended); lost at 90: last confirmed (0) + TTL (100) - margin (10).
      scheduler.schedule(() => server.suspend('a'), 20);
      const states = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(states).toBe(
        'h 19ms r 69ms (l#)',
        { h: 'held', r: 'at-risk', l: 'lost' },
        new LockLostError('x', 'expired'),
      );
    });

    const atRisk = await otel.points(TOOZ_METRICS.lockAtRisk);
    expect(atRisk).toEqual([{ attributes: lockX, count: 1, sum: expect.any(Number) }]);
    expect(ms(atRisk[0]?.sum)).toBe(70);
    const holds = await otel.points(TOOZ_METRICS.lockHold);
    expect(holds.map((point) => [point.attributes[TOOZ_ATTRIBUTES.lockOutcome], ms(point.sum)])).toEqual([
      ['lost', 90],
    ]);
    expect(await otel.points(TOOZ_METRICS.lockLosses)).toEqual([
      { attributes: { ...lockX, 'tooz.loss.reason': 'expired' }, value: 1 },
    ]);
    server.resume('a');
    await a.close();
  });

  it('records each at-risk episode that ends with the hold proven again', async () => {
    const {
      scheduler,
      server,
      members: { a },
    } = await virtualCluster(['a'], { ttl: 1_000 });
    scheduler.run(({ expectObservable }) => {
      scheduler.schedule(() => server.suspend('a'), 20);
      scheduler.schedule(() => server.resume('a'), 50);
      scheduler.schedule(() => server.suspend('a'), 100);
      scheduler.schedule(() => server.resume('a'), 110);
      const states = a.lock('x').pipe(switchMap((lease) => lease.state$));
      expectObservable(states, '^ 199ms !').toBe('h 19ms r 29ms h 49ms r 9ms h', { h: 'held', r: 'at-risk' });
    });

    const atRisk = await otel.points(TOOZ_METRICS.lockAtRisk);
    expect(atRisk.map((point) => [point.count, ms(point.sum)])).toEqual([[2, 30 + 10]]);
    expect(await otel.points(TOOZ_METRICS.lockLosses)).toEqual([]);
    await a.close();
  });
});
