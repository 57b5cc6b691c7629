import { expectTypeOf, it } from 'vitest';
import type { Driver } from '@tooz/core';
import { connect } from '@tooz/core';
import { memoryCapabilities } from '../../testing/src/memory/index.js';
const noGroups = { ...memoryCapabilities, primitives: { ...memoryCapabilities.primitives, groups: false } } as const;
declare const d: Driver<typeof noGroups>;
it('should fail', () => {
  expectTypeOf(connect(d)).resolves.toHaveProperty('group');
});
it('should fail 2', async () => {
  const c = await connect(d);
  // @ts-expect-error
  c.lock('x');
});
