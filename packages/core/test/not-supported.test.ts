import { firstValueFrom, from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Coordinator, connect, type Driver, driversSupporting, NotSupportedError } from '@tooz/core';
// See options.test.ts: tsc cannot resolve @tooz/testing by name from core's tests.
import { memory, memoryCapabilities, MemoryServer } from '../../testing/src/memory/index.js';

const noGroups = { ...memoryCapabilities, primitives: { ...memoryCapabilities.primitives, groups: false } } as const;
const noLocks = {
  ...memoryCapabilities,
  primitives: { groups: true, leadership: false, locks: false, fencing: false },
} as const;

/** Runs `fn`, expecting a NotSupportedError; returns it. */
function unsupported(fn: () => unknown): NotSupportedError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NotSupportedError);
    return error as NotSupportedError;
  }
  throw new Error('expected a NotSupportedError, nothing was thrown');
}

/** The coordinator without the narrowing its type gives it: what a JS caller, or a cast, would reach. */
const untyped = (coordinator: object): Coordinator => coordinator as Coordinator;

describe('NotSupportedError from a driver whose descriptor says no', () => {
  it("group() throws, naming 'memory' and the drivers that support groups", async () => {
    const server = new MemoryServer();
    const driver: Driver<typeof noGroups> = { ...memory({ server }), capabilities: noGroups };
    const coordinator = await connect(driver, { memberId: 'ns-1' });
    try {
      const error = unsupported(() => untyped(coordinator).group('x'));
      expect(error.code).toBe('NOT_SUPPORTED');
      expect(error.driver).toBe('memory');
      expect(error.primitive).toBe('groups');
      expect(error.supportedBy).toEqual(driversSupporting('groups'));
      expect(error.supportedBy).toEqual(expect.arrayContaining(['zookeeper', 'etcd', 'redis']));
      // Only published drivers with the primitive are offered (the list itself is tested in errors.test.ts).
      expect(error.supportedBy).not.toContain('memory');
      expect(error.message).toContain('memory');
      for (const name of error.supportedBy) expect(error.message).toContain(name);
      expect(server.state.groups.size).toBe(0);
    } finally {
      await coordinator.close();
    }
  });

  it('groups() fails with NotSupportedError too', async () => {
    const coordinator = await connect({ ...memory({ server: new MemoryServer() }), capabilities: noGroups });
    try {
      await expect(Promise.resolve().then(() => untyped(coordinator).groups())).rejects.toBeInstanceOf(
        NotSupportedError,
      );
    } finally {
      await coordinator.close();
    }
  });

  // KNOWN WART (src/coordinator.ts, groups()): it returns a Promise but throws
  // NotSupportedError synchronously, so `coordinator.groups().catch(...)` does
  // not catch it; acquire() and breakLock() are async and reject instead.
  it('groups() reports NotSupportedError as a rejected promise, not a synchronous throw', async () => {
    const coordinator = await connect({ ...memory({ server: new MemoryServer() }), capabilities: noGroups });
    try {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = untyped(coordinator).groups();
      }).not.toThrow();
      await expect(result).rejects.toBeInstanceOf(NotSupportedError);
    } finally {
      await coordinator.close();
    }
  });

  it('the other primitives of a groups-less driver keep working', async () => {
    const server = new MemoryServer();
    const coordinator = await connect({ ...memory({ server }), capabilities: noGroups }, { memberId: 'ns-2' });
    try {
      const lease = await coordinator.acquire('still-works', { wait: 0 });
      expect(server.holderOf('still-works')).toBe('ns-2');
      await lease.release();
      expect(server.holderOf('still-works')).toBeNull();
      expect(coordinator.leadership('still-works')).toBeDefined();
    } finally {
      await coordinator.close();
    }
  });

  it('lock(), acquire(), breakLock() and leadership() throw for a driver without locks and leadership', async () => {
    const server = new MemoryServer();
    const coordinator = await connect({ ...memory({ server }), capabilities: noLocks });
    try {
      const c = untyped(coordinator);
      expect(unsupported(() => c.lock('l')).primitive).toBe('locks');
      expect(unsupported(() => c.leadership('g')).primitive).toBe('leadership');
      await expect(c.acquire('l')).rejects.toMatchObject({ code: 'NOT_SUPPORTED', primitive: 'locks' });
      await expect(c.breakLock('l')).rejects.toMatchObject({ code: 'NOT_SUPPORTED', primitive: 'locks' });
      expect(unsupported(() => c.lock('l')).supportedBy).toContain('file');
      expect(server.state.locks.size).toBe(0);
      // Groups are still there.
      await coordinator.group('g').create();
      expect(server.state.groups.has('g')).toBe(true);
    } finally {
      await coordinator.close();
    }
  });

  it('a session lacking a backend is unsupported even when the descriptor says yes', async () => {
    const inner = memory({ server: new MemoryServer() });
    const driver: Driver = {
      capabilities: memoryCapabilities,
      description: inner.description,
      open: async (context) => {
        const session = await firstValueFrom(from(inner.open(context)));
        return {
          signals$: session.signals$,
          close: () => session.close(),
          ...(session.locks ? { locks: session.locks } : {}),
        };
      },
    };
    const coordinator = await connect(driver);
    try {
      expect(unsupported(() => coordinator.group('x')).driver).toBe('memory');
    } finally {
      await coordinator.close();
    }
  });

  it('validates the id before checking support, so bad input is reported as such', async () => {
    const coordinator = await connect({ ...memory({ server: new MemoryServer() }), capabilities: noGroups });
    try {
      expect(() => untyped(coordinator).group('')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'groupId' }),
      );
    } finally {
      await coordinator.close();
    }
  });
});
