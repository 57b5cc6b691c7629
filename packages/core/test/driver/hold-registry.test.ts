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
});
