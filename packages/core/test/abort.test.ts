import { ConnectionError, connect, type Driver } from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

/** A driver whose first `failures` opens fail with `error`. */
function flaky(failures: number, error: () => Error): { driver: Driver; attempts: () => number } {
  const inner = memory({ server: new MemoryServer() });
  let attempts = 0;
  const driver: Driver = {
    ...inner,
    open: (context) => {
      attempts++;
      if (attempts <= failures) throw error();
      return inner.open(context);
    },
  };
  return { driver, attempts: () => attempts };
}

describe('connect() retries and aborts', () => {
  it('gives up at the first refusal by default', async () => {
    const { driver, attempts } = flaky(1, () => new ConnectionError('refused'));
    await expect(connect(driver)).rejects.toThrow('refused');
    expect(attempts()).toBe(1);
  });

  it('keeps trying a retryable failure within connectWithin', async () => {
    const { driver, attempts } = flaky(2, () => new ConnectionError('refused'));
    const coordinator = await connect(driver, { connectWithin: '5s', retryDelay: 1, maxRetryDelay: 5 });
    expect(attempts()).toBe(3);
    await coordinator.close();
  });

  it('never retries a final failure (bad credentials)', async () => {
    const { driver, attempts } = flaky(5, () => new ConnectionError('denied', { retryable: false }));
    await expect(connect(driver, { connectWithin: '5s', retryDelay: 1 })).rejects.toThrow('denied');
    expect(attempts()).toBe(1);
  });

  it('stops trying when its signal aborts, with the signal reason', async () => {
    const { driver, attempts } = flaky(1_000, () => new ConnectionError('refused'));
    const controller = new AbortController();
    const connecting = connect(driver, {
      connectWithin: '60s',
      retryDelay: 5,
      maxRetryDelay: 5,
      signal: controller.signal,
    });
    controller.abort(new Error('shutting down'));
    await expect(connecting).rejects.toThrow('shutting down');
    const seen = attempts();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(attempts()).toBe(seen);
  });
});

describe('calls that wait take an AbortSignal', () => {
  it('an aborted signal refuses before anything is written', async () => {
    const server = new MemoryServer();
    const coordinator = await connect(memory({ server }));
    const signal = AbortSignal.abort(new Error('no'));
    await expect(coordinator.group('g').create({ signal })).rejects.toThrow('no');
    expect(await coordinator.groups()).toEqual([]);
    await expect(coordinator.groups({ signal })).rejects.toThrow('no');
    await expect(coordinator.lockHolder('x', { signal })).rejects.toThrow('no');
    await coordinator.close();
  });

  it('whenLeading() stops waiting when aborted', async () => {
    const server = new MemoryServer();
    const [a, b] = [await connect(memory({ server })), await connect(memory({ server }))];
    const leading = a.leadership('g').subscribe();
    await a.leadership('g').whenLeading();
    const candidate = b.leadership('g').subscribe();
    const controller = new AbortController();
    const waiting = b.leadership('g').whenLeading({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    leading.unsubscribe();
    candidate.unsubscribe();
    await Promise.all([a.close(), b.close()]);
  });
});
