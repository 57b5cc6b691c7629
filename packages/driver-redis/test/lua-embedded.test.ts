import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { generated } from '../scripts/embed-lua.mjs';

describe('the embedded Lua scripts', () => {
  it('match src/lua (run `node scripts/embed-lua.mjs` after editing a script)', () => {
    const committed = readFileSync(new URL('../src/lua/sources.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generated());
  });
});
