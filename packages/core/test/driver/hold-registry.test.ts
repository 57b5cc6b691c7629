import { HoldRegistry } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

describe('HoldRegistry', () => {
  it('takes a hold once, and only from the session that made it', () => {
    const registry = new HoldRegistry<{ key: string }>();
    const old = { key: 'a' };
    registry.add(old);
    expect(registry.bury()).toEqual([old]);
    const current = { key: 'a' };
    registry.add(current);
    expect(registry.take(old)).toBe(false);
    expect(registry.owns(current)).toBe(true);
    expect(registry.take(current)).toBe(true);
    expect(registry.take(current)).toBe(false);
    expect(registry.size).toBe(0);
  });

  it('refuses a hold stamped with a generation that is gone', () => {
    const registry = new HoldRegistry<object>();
    const generation = registry.generation;
    registry.bury();
    expect(registry.add({}, generation)).toBe(false);
    expect(registry.size).toBe(0);
  });

  it('adding a hold twice registers it once', () => {
    const registry = new HoldRegistry<object>();
    const hold = {};
    registry.add(hold);
    registry.add(hold);
    expect(registry.size).toBe(1);
    expect(registry.take(hold)).toBe(true);
    expect(registry.owns(hold)).toBe(false);
  });

  it('values() is a snapshot: taking holds while iterating it visits every one', () => {
    const registry = new HoldRegistry<{ n: number }>();
    const holds = [1, 2, 3, 4].map((n) => ({ n }));
    for (const hold of holds) registry.add(hold);
    const seen: number[] = [];
    for (const hold of registry.values()) {
      seen.push(hold.n);
      registry.take(hold);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(registry.size).toBe(0);
  });

  it('a hold is owned only by the registry it was added to', () => {
    const locks = new HoldRegistry<object>();
    const members = new HoldRegistry<object>();
    const hold = {};
    locks.add(hold);
    expect(members.owns(hold)).toBe(false);
    expect(members.take(hold)).toBe(false);
    expect(locks.take(hold)).toBe(true);
  });
});
