import { firstValueFrom, from } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { missingDriverHint } from '../src/connect/known-drivers.js';
import {
  type CapabilityDescriptor,
  type Coordinator,
  type ConnectionUrl,
  connect,
  type Driver,
  InvalidArgumentError,
  registerDriver,
  ToozError,
} from '@tooz/core';
import type { DriverContext, DriverSession } from '@tooz/core/driver';
// @tooz/core does not depend on @tooz/testing (that would be a cycle), so tsc
// cannot resolve the package name from here; vitest's alias could, the path does for both.
import { fromUrl, memory, MemoryServer } from '../../testing/src/memory/index.js';

/** What a spied driver saw: the contexts it was opened with, and every TTL core asked the backend for. */
interface Seen {
  readonly contexts: DriverContext[];
  readonly ttls: { readonly method: string; readonly ttl: number }[];
}

/** Wraps a backend object so that every call carrying `{ ttl }` is recorded. */
function recordTtls<T extends object>(target: T, seen: Seen): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        for (const arg of args) {
          const ttl = (arg as { ttl?: unknown } | null)?.ttl;
          if (typeof ttl === 'number') seen.ttls.push({ method: String(property), ttl });
        }
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** A driver that behaves like `inner` and records what core asked of it. */
function spy<C extends CapabilityDescriptor>(inner: Driver<C>): { driver: Driver<C>; seen: Seen } {
  const seen: Seen = { contexts: [], ttls: [] };
  const driver: Driver<C> = {
    capabilities: inner.capabilities,
    description: inner.description,
    open: async (context) => {
      seen.contexts.push(context);
      const session = await firstValueFrom(from(inner.open(context)));
      const wrapped: DriverSession = {
        signals$: session.signals$,
        close: () => session.close(),
        ...(session.locks ? { locks: recordTtls(session.locks, seen) } : {}),
        ...(session.groups ? { groups: recordTtls(session.groups, seen) } : {}),
      };
      return wrapped;
    },
  };
  return { driver, seen };
}

const open: Coordinator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** Connects through a freshly registered URL scheme backed by `fromUrl` from @tooz/testing, spying on it. */
let schemes = 0;
async function connectUrl(
  rest: string,
  options?: Record<string, unknown>,
): Promise<{ coordinator: Coordinator; seen: Seen }> {
  const scheme = `fakeurl${++schemes}`;
  let seen: Seen | undefined;
  registerDriver(scheme, {
    fromUrl(url: ConnectionUrl, driverOptions: Readonly<Record<string, unknown>>) {
      const spied = spy(fromUrl(url, driverOptions));
      seen = spied.seen;
      return spied.driver;
    },
  });
  // A server name of its own, so that tests never share memory:// state.
  const coordinator = await connect(`${scheme}://options-test-${schemes}${rest}`, options);
  open.push(coordinator);
  if (!seen) throw new Error('fromUrl was not called');
  return { coordinator, seen };
}

async function connectObject(options: Record<string, unknown>): Promise<{ coordinator: Coordinator; seen: Seen }> {
  const { driver, seen } = spy(memory({ server: new MemoryServer() }));
  const coordinator = (await connect(driver, options)) as Coordinator;
  open.push(coordinator);
  return { coordinator, seen };
}

/** Awaits `promise`, expecting it to reject with an InvalidArgumentError. */
async function refused(promise: Promise<unknown>): Promise<InvalidArgumentError> {
  const error = await promise.then(
    (value) => {
      // connectUrl() resolves to { coordinator, seen }; connect() to the coordinator itself.
      open.push(((value as { coordinator?: Coordinator }).coordinator ?? value) as Coordinator);
      throw new Error('expected an InvalidArgumentError, connect() succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

/** The lock TTL core really uses: acquire once and look at what reached the backend. */
async function lockTtlOf(coordinator: Coordinator, seen: Seen): Promise<number> {
  const lease = await coordinator.acquire('ttl-probe', { wait: 0 });
  await lease.release();
  const call = seen.ttls.find((t) => t.method === 'tryAcquire' || t.method === 'acquireQueued');
  if (!call) throw new Error('no lock acquire reached the backend');
  return call.ttl;
}

/** The membership TTL core really uses: join once and look at what reached the backend. */
async function membershipTtlOf(coordinator: Coordinator, seen: Seen): Promise<number> {
  const group = coordinator.group('ttl-probe');
  await group.create();
  await firstValueFrom(group.join());
  const call = seen.ttls.find((t) => t.method === 'join');
  if (!call) throw new Error('no join reached the backend');
  return call.ttl;
}

interface ResolvedTimings {
  readonly lockTtl: number;
  readonly membershipTtl: number;
  readonly leaderTtl: number;
  readonly retryDelay: number;
  readonly maxRetryDelay: number;
}

/**
 * Reads the resolved timings from the coordinator's private context. Used only
 * where observing the value would need a leader election or a failing backend;
 * lock and membership TTLs are checked through what reaches the driver instead.
 */
function timingsOf(coordinator: Coordinator): ResolvedTimings {
  return (coordinator as unknown as { ctx: { timings: ResolvedTimings } }).ctx.timings;
}

describe('connect(driver, options): refusals name the field', () => {
  it.each([
    ['negative', -1],
    ['garbage string', 'garbage'],
    ['below the 100 ms floor', 5],
    ['ten, meant as seconds', 10],
    ['below the floor, with a unit', '99ms'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a boolean', true],
  ])('ttl %s → options.ttl', async (_, ttl) => {
    const { driver, seen } = spy(memory({ server: new MemoryServer() }));
    const error = await refused(connect(driver, { ttl } as never));
    expect(error.field).toBe('options.ttl');
    expect(error.message).toContain('options.ttl');
    // Refused before anything was opened.
    expect(seen.contexts).toEqual([]);
  });

  it.each([
    ['lockTtl', -5],
    ['membershipTtl', 'soon'],
    ['leaderTtl', 1],
    ['retryDelay', 'x'],
    ['maxRetryDelay', -1],
    ['standDownGrace', 'later'],
    ['scheduler', {}],
  ])('%s = %j → options.%s', async (name, value) => {
    const error = await refused(connect(memory({ server: new MemoryServer() }), { [name]: value } as never));
    expect(error.field).toBe(`options.${name}`);
  });

  it('an unknown option on a driver-object connect → options.<name>, before opening', async () => {
    const { driver, seen } = spy(memory({ server: new MemoryServer() }));
    const error = await refused(connect(driver, { ttl: 1_000, lockTimeout: 5 } as never));
    expect(error.field).toBe('options.lockTimeout');
    expect(seen.contexts).toEqual([]);
  });

  it.each([
    ['-starts-with-dash'],
    [''],
    ['has/slash'],
    ['has space'],
    ['x'.repeat(64)],
    ['.dot'],
  ])('namespace %j → options.namespace', async (namespace) => {
    const error = await refused(connect(memory({ server: new MemoryServer() }), { namespace }));
    expect(error.field).toBe('options.namespace');
  });

  it.each([
    ['empty', ''],
    ['a lone surrogate', 'api-\uD800'],
    ['over 1024 UTF-8 bytes', 'é'.repeat(513)],
    ['not a string', 42],
  ])('memberId %s → options.memberId', async (_, memberId) => {
    const error = await refused(connect(memory({ server: new MemoryServer() }), { memberId } as never));
    expect(error.field).toBe('options.memberId');
  });

  it('options that are not an object → options', async () => {
    const error = await refused(connect(memory({ server: new MemoryServer() }), 'ttl=10' as never));
    expect(error.field).toBe('options');
  });

  it('a target that is neither a URL nor a driver → url', async () => {
    expect((await refused(connect(42 as never))).field).toBe('url');
    expect((await refused(connect({ open: 'nope' } as never))).field).toBe('url');
  });
});

describe('the TTL floor', () => {
  it('says what unit a bare number is in, and how to write seconds', async () => {
    const error = await refused(connect(memory({ server: new MemoryServer() }), { ttl: 10 }));
    expect(error.message).toMatch(/at least 100 ms.*milliseconds.*'10s'/);
  });

  it('accepts a duration string in code', async () => {
    const coordinator = await connect(memory({ server: new MemoryServer() }), { ttl: '10s' });
    await coordinator.close();
  });

  it('refuses a lock TTL below the floor, naming it', () => {
    return (async () => {
      const coordinator = await connect(memory({ server: new MemoryServer() }));
      expect(() => coordinator.lock('x', { ttl: 50 })).toThrow(/options\.ttl.*at least 100/);
      await coordinator.close();
    })();
  });
});

describe('connect(driver, options): accepted values', () => {
  it('takes a bare number as milliseconds and a string with a unit', async () => {
    const a = await connectObject({ ttl: 750 });
    expect(await lockTtlOf(a.coordinator, a.seen)).toBe(750);
    const b = await connectObject({ ttl: '2s', membershipTtl: '1500ms' });
    expect(await lockTtlOf(b.coordinator, b.seen)).toBe(2_000);
    expect(await membershipTtlOf(b.coordinator, b.seen)).toBe(1_500);
  });

  it('takes a bare number in a string as milliseconds outside URLs', async () => {
    const { coordinator, seen } = await connectObject({ ttl: '600' });
    expect(await lockTtlOf(coordinator, seen)).toBe(600);
  });

  it('hands memberId and namespace to the driver', async () => {
    const { coordinator, seen } = await connectObject({ memberId: 'api-7', namespace: 'billing' });
    expect(coordinator.memberId).toBe('api-7');
    expect(seen.contexts).toHaveLength(1);
    expect(seen.contexts[0]).toMatchObject({ memberId: 'api-7', namespace: 'billing' });
  });

  it("defaults the namespace to 'tooz' and the TTL to 10 s", async () => {
    const { coordinator, seen } = await connectObject({});
    expect(seen.contexts[0]?.namespace).toBe('tooz');
    expect(await lockTtlOf(coordinator, seen)).toBe(10_000);
    expect(coordinator.memberId.length).toBeGreaterThan(0);
  });
});

describe('connect(url): query parameters', () => {
  it('?ttl=10 means 10 seconds', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=10');
    expect(await lockTtlOf(coordinator, seen)).toBe(10_000);
    expect(await membershipTtlOf(coordinator, seen)).toBe(10_000);
  });

  it('?ttl=500ms means 500 milliseconds', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=500ms');
    expect(await lockTtlOf(coordinator, seen)).toBe(500);
  });

  it('?ttl=1.5 means 1.5 seconds', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=1.5');
    expect(await lockTtlOf(coordinator, seen)).toBe(1_500);
  });

  it('accepts tooz\'s "timeout" for ttl', async () => {
    const { coordinator, seen } = await connectUrl('?timeout=3');
    expect(await lockTtlOf(coordinator, seen)).toBe(3_000);
    expect(timingsOf(coordinator).leaderTtl).toBe(3_000);
  });

  it('accepts tooz\'s "lock_timeout" and "membership_timeout", each for its own TTL only', async () => {
    const { coordinator, seen } = await connectUrl('?lock_timeout=2&membership_timeout=4');
    expect(await lockTtlOf(coordinator, seen)).toBe(2_000);
    expect(await membershipTtlOf(coordinator, seen)).toBe(4_000);
    expect(timingsOf(coordinator).leaderTtl).toBe(10_000);
  });

  it('accepts tooz\'s "leader_timeout"', async () => {
    const { coordinator } = await connectUrl('?leader_timeout=7');
    expect(timingsOf(coordinator).leaderTtl).toBe(7_000);
  });

  it('accepts tooz\'s "member_id"', async () => {
    const { coordinator, seen } = await connectUrl('?member_id=py-worker-1');
    expect(coordinator.memberId).toBe('py-worker-1');
    expect(seen.contexts[0]?.memberId).toBe('py-worker-1');
  });

  it('accepts snake_case spellings of core options (retry_delay, in seconds)', async () => {
    const { coordinator } = await connectUrl('?retry_delay=0.2&max_retry_delay=3');
    expect(timingsOf(coordinator).retryDelay).toBe(200);
    expect(timingsOf(coordinator).maxRetryDelay).toBe(3_000);
  });

  it('takes the namespace from the URL', async () => {
    const { seen } = await connectUrl('?namespace=billing');
    expect(seen.contexts[0]?.namespace).toBe('billing');
  });

  it('lets the last of a repeated parameter win', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=1&ttl=2');
    expect(await lockTtlOf(coordinator, seen)).toBe(2_000);
  });

  it('lets the last of a parameter and its tooz alias win', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=1&timeout=5');
    expect(await lockTtlOf(coordinator, seen)).toBe(5_000);
  });

  it('lets caller options override the URL (a bare number there meaning milliseconds)', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=10&member_id=from-url&namespace=from_url', {
      ttl: 300,
      memberId: 'from-caller',
      namespace: 'from_caller',
    });
    expect(await lockTtlOf(coordinator, seen)).toBe(300);
    expect(coordinator.memberId).toBe('from-caller');
    expect(seen.contexts[0]?.namespace).toBe('from_caller');
  });

  it('keeps URL values the caller did not override', async () => {
    const { coordinator, seen } = await connectUrl('?lock_timeout=2&namespace=kept', { membershipTtl: 900 });
    expect(await lockTtlOf(coordinator, seen)).toBe(2_000);
    expect(await membershipTtlOf(coordinator, seen)).toBe(900);
    expect(seen.contexts[0]?.namespace).toBe('kept');
  });

  it('ignores an empty parameter value', async () => {
    const { coordinator, seen } = await connectUrl('?ttl=');
    expect(await lockTtlOf(coordinator, seen)).toBe(10_000);
  });

  it('passes driver parameters to the driver (memory:// latency)', async () => {
    const { coordinator, seen } = await connectUrl('?latency=0ms&ttl=1');
    expect(await lockTtlOf(coordinator, seen)).toBe(1_000);
  });
});

describe('connect(url): refusals', () => {
  it.each([
    ['?ttl=garbage', 'url.ttl'],
    ['?ttl=-1', 'url.ttl'],
    ['?ttl=0.005', 'url.ttl'],
    ['?lock_timeout=x', 'url.lockTtl'],
    ['?namespace=-x', 'url.namespace'],
    [`?member_id=${'x'.repeat(1025)}`, 'url.memberId'],
  ])('%s → %s', async (query, field) => {
    const error = await refused(connect(`fakeurl-never-registered://h${query}`));
    expect(error.field).toBe(field);
  });

  it('names tooz\'s own spelling, or the core option, for a bad "timeout"', async () => {
    const error = await refused(connect('fakeurl-never-registered://h?timeout=soon'));
    expect(['url.timeout', 'url.ttl']).toContain(error.field);
  });

  it('an unknown URL parameter is refused by the driver, naming it', async () => {
    const error = await refused(connectUrl('?bogus=1'));
    expect(error.field).toBe('options.bogus');
  });

  it('an unknown caller option on a URL connect is refused by the driver, naming it', async () => {
    const error = await refused(connectUrl('', { bogusOption: true }));
    expect(error.field).toBe('options.bogusOption');
  });

  it('a bad caller ttl on a URL connect → options.ttl', async () => {
    const error = await refused(connectUrl('?ttl=10', { ttl: -3 }));
    expect(error.field).toBe('options.ttl');
  });

  it('a planned driver is said to be planned, never to be installed; a published one is to be installed', () => {
    const planned = {
      name: 'x',
      packageName: '@tooz/driver-x',
      schemes: ['x'],
      primitives: [],
      status: 'planned',
      url: 'x://',
    } as const;
    expect(missingDriverHint(planned, '@tooz/driver-x')).toContain('planned');
    expect(missingDriverHint(planned, '@tooz/driver-x')).not.toContain('install');
    const published = missingDriverHint({ ...planned, status: 'available' }, '@tooz/driver-x', 'x');
    expect(published).toContain('install @tooz/driver-x');
    expect(published).toContain("registerDriver('x', await import('@tooz/driver-x'))");
  });

  it('a scheme no driver is known for names the known schemes and registerDriver, never a package that does not exist', async () => {
    const error = await refused(connect('nosuchdb://h'));
    expect(error.field).toBe('url');
    expect(error.message).not.toContain('@tooz/driver-nosuchdb');
    expect(error.message).toContain('redis');
    expect(error.message).toContain("registerDriver('nosuchdb', module)");
  });

  it('a malformed URL → url', async () => {
    expect((await refused(connect('not a url'))).field).toBe('url');
  });
});

describe('connect(url): credentials never reach an error message', () => {
  const secretScheme = 'fakeurl-secret';
  registerDriver(secretScheme, { fromUrl });
  const clean = (error: unknown, secret: string) => {
    expect(error).toBeInstanceOf(ToozError);
    const e = error as ToozError;
    expect(e.message).not.toContain(secret);
    expect(String(e)).not.toContain(secret);
    expect(e.stack ?? '').not.toContain(secret);
    expect(JSON.stringify({ ...e })).not.toContain(secret);
  };

  it('nosuchdb://user:hunter2secret@h/0 with a bad option', async () => {
    const error = await refused(connect('nosuchdb://user:hunter2secret@h/0?ttl=bad'));
    clean(error, 'hunter2secret');
  });

  it('nosuchdb://user:hunter2secret@h/0 with no driver installed', async () => {
    const error = await refused(connect('nosuchdb://user:hunter2secret@h/0', { ttl: 5 }));
    clean(error, 'hunter2secret');
  });

  it('an installed driver refusing an option of a URL with a password', async () => {
    const error = await refused(connect(`${secretScheme}://user:hunter3secret@options-test-secret?bogus=1`));
    expect(error.field).toBe('options.bogus');
    clean(error, 'hunter3secret');
  });

  it('a caller option whose value happens to be the URL password', async () => {
    const error = await refused(
      connect(`${secretScheme}://user:hunter4secret@options-test-secret`, { ttl: 'hunter4secret' }),
    );
    expect(error.field).toBe('options.ttl');
    clean(error, 'hunter4secret');
  });

  it('a password in a query parameter, refused by the driver', async () => {
    const error = await refused(connect(`${secretScheme}://options-test-secret?password=hunter7secret`));
    expect(error.field).toBe('options.password');
    clean(error, 'hunter7secret');
  });

  it('a URL parameter whose value is the URL password', async () => {
    const error = await refused(connect('fakeurl-never-registered://user:hunter5secret@h?ttl=hunter5secret'));
    expect(error.field).toBe('url.ttl');
    clean(error, 'hunter5secret');
  });

  it('a %-escaped password', async () => {
    const error = await refused(connect('nosuchdb://user:hunter%2F6secret@h/0?namespace=%20'));
    clean(error, 'hunter/6secret');
    clean(error, 'hunter%2F6secret');
  });
});
