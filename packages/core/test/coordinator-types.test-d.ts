import { describe, expectTypeOf, it } from 'vitest';
import type { CapabilityDescriptor, Coordinator, CoordinatorFor, Driver, Group, Leadership } from '@tooz/core';
import { connect } from '@tooz/core';
// See options.test.ts: tsc cannot resolve @tooz/testing by name from core's tests.
import { memory, memoryCapabilities } from '../../testing/src/memory/index.js';

const noGroups = { ...memoryCapabilities, primitives: { ...memoryCapabilities.primitives, groups: false } } as const;
const noLocks = {
  ...memoryCapabilities,
  primitives: { groups: true, leadership: false, locks: false, fencing: false },
} as const;

declare const driverWithoutGroups: Driver<typeof noGroups>;
declare const driverWithoutLocks: Driver<typeof noLocks>;
declare const widened: Driver<CapabilityDescriptor>;

describe('connect() types follow the capability descriptor', () => {
  it('a driver without groups yields a coordinator without group/groups', async () => {
    expectTypeOf(connect(driverWithoutGroups)).resolves.not.toHaveProperty('group');
    expectTypeOf(connect(driverWithoutGroups)).resolves.not.toHaveProperty('groups');
    expectTypeOf(connect(driverWithoutGroups)).toEqualTypeOf<Promise<CoordinatorFor<typeof noGroups>>>();

    const coordinator = await connect(driverWithoutGroups);
    // @ts-expect-error: groups are not there to call
    coordinator.group('x');
    // @ts-expect-error: groups are not there to call
    void coordinator.groups();

    // Everything else stays.
    expectTypeOf(coordinator.lock).toBeFunction();
    expectTypeOf(coordinator.acquire).toBeFunction();
    expectTypeOf(coordinator.breakLock).toBeFunction();
    expectTypeOf(coordinator.leadership).returns.toEqualTypeOf<Leadership>();
    expectTypeOf(coordinator.close).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(coordinator.memberId).toBeString();
    expectTypeOf(coordinator.driver.capabilities.primitives.groups).toEqualTypeOf<false>();
    expectTypeOf(coordinator.driver.name).toBeString();
  });

  it('a driver without locks or leadership yields a coordinator without lock/acquire/breakLock/leadership', () => {
    expectTypeOf(connect(driverWithoutLocks)).resolves.not.toHaveProperty('lock');
    expectTypeOf(connect(driverWithoutLocks)).resolves.not.toHaveProperty('acquire');
    expectTypeOf(connect(driverWithoutLocks)).resolves.not.toHaveProperty('breakLock');
    expectTypeOf(connect(driverWithoutLocks)).resolves.not.toHaveProperty('leadership');
    expectTypeOf(connect(driverWithoutLocks)).resolves.toHaveProperty('group').returns.toEqualTypeOf<Group>();
  });

  it('the full memory driver has every primitive', async () => {
    const coordinator = await connect(memory());
    expectTypeOf(coordinator).toHaveProperty('group');
    expectTypeOf(coordinator).toHaveProperty('groups');
    expectTypeOf(coordinator).toHaveProperty('lock');
    expectTypeOf(coordinator).toHaveProperty('acquire');
    expectTypeOf(coordinator).toHaveProperty('breakLock');
    expectTypeOf(coordinator).toHaveProperty('leadership');
    expectTypeOf(coordinator.group).returns.toEqualTypeOf<Group>();
    expectTypeOf(coordinator.groups).returns.toEqualTypeOf<Promise<readonly string[]>>();
    expectTypeOf(coordinator.driver.capabilities.name).toEqualTypeOf<'memory'>();
    expectTypeOf(coordinator).toMatchTypeOf<Coordinator<typeof memoryCapabilities>>();
  });

  it('a driver typed with the wide descriptor keeps every primitive (they may throw NotSupportedError)', () => {
    expectTypeOf(connect(widened)).resolves.toHaveProperty('group');
    expectTypeOf(connect(widened)).resolves.toHaveProperty('lock');
    expectTypeOf(connect(widened)).resolves.toHaveProperty('leadership');
  });

  it('connect(url) returns the full Coordinator', () => {
    expectTypeOf(connect('etcd://127.0.0.1:2379?ttl=10')).toEqualTypeOf<Promise<Coordinator>>();
    expectTypeOf(connect('memory://', { memberId: 'a', namespace: 'b', someDriverOption: 1 })).toEqualTypeOf<
      Promise<Coordinator>
    >();
    expectTypeOf(connect('memory://')).resolves.toHaveProperty('group');
  });

  it('driver-object connects take core options only', () => {
    // @ts-expect-error: not a core option
    void connect(memory(), { someDriverOption: 1 });
    // @ts-expect-error: ttl is a number of ms or a duration string
    void connect(memory(), { ttl: true });
  });
});
