import { PeriodicTask, poll, SharedWatches, withDeadline } from '@tooz/core/driver';
import { defer, Observable, of, Subject, throwError, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';

const createTestScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs a virtual-time scheduler's actions due up to `time`. */
function advance(scheduler: VirtualTimeScheduler, time: number): void {
  scheduler.maxFrames = time;
  scheduler.flush();
}

describe('withDeadline', () => {
  it('fails with the given error when no value comes in time, counted from the subscription', () => {
    const scheduler = createTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const late = new Error('late');
      expectObservable(withDeadline(cold('----a'), 3, scheduler, () => late)).toBe('---#', undefined, late);
      expectObservable(withDeadline(cold('-a'), 3, scheduler, () => late)).toBe('-(a|)');
    });
  });
});

describe('poll', () => {
  it('emits the first read and then only changes, skipping failed reads', () => {
    const scheduler = createTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const values = ['a', 'a', 'fail', 'b', 'b'];
      let reads = 0;
      const read = () =>
        defer(() => {
          const value = values[Math.min(reads++, values.length - 1)];
          return value === 'fail' ? throwError(() => new Error('down')) : of(value);
        });
      expectObservable(poll(read, { every: 10, scheduler }), '^ 60ms !').toBe('a 29ms b');
    });
  });
});

describe('PeriodicTask', () => {
  it('runs every interval while started, never two at once, and not after stop', async () => {
    const scheduler = new VirtualTimeScheduler();
    let runs = 0;
    let finish: (() => void) | undefined;
    const settled = async () => {
      finish?.();
      for (let i = 0; i < 3; i++) await Promise.resolve();
    };
    const task = new PeriodicTask(scheduler, 10, () => {
      runs++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    task.start();
    advance(scheduler, 35);
    expect(runs).toBe(1);
    await settled();
    advance(scheduler, 45);
    expect(runs).toBe(2);
    task.stop();
    await settled();
    advance(scheduler, 100);
    expect(runs).toBe(2);
  });
});

describe('SharedWatches', () => {
  it('opens one watch per key for any number of subscribers and a fresh one after the last leaves', () => {
    let opened = 0;
    let closed = 0;
    const source = new Subject<number>();
    const watches = new SharedWatches<string, number>(
      () =>
        new Observable<number>((subscriber) => {
          opened++;
          const inner = source.subscribe(subscriber);
          return () => {
            closed++;
            inner.unsubscribe();
          };
        }),
    );
    const seen: number[] = [];
    const a = watches.get('k').subscribe((value) => seen.push(value));
    const b = watches.get('k').subscribe((value) => seen.push(value));
    source.next(1);
    expect([opened, seen]).toEqual([1, [1, 1]]);
    a.unsubscribe();
    b.unsubscribe();
    expect([closed, watches.size]).toEqual([1, 0]);
    watches.get('k').subscribe().unsubscribe();
    expect(opened).toBe(2);
  });
});
