import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/**
 * A duration in milliseconds. Strings may carry a unit (`500ms`, `10s`, `2m`);
 * a bare number in a string means `bareUnit` (seconds in URLs, as tooz's
 * `?timeout=10`), a JS number always means milliseconds.
 */
export function duration(bareUnit: 'ms' | 's' = 'ms') {
  return z.union([
    z.number().finite().nonnegative(),
    z.string().transform((text, ctx) => {
      const match = DURATION.exec(text.trim());
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (examples: 500ms, 10s, 2m)` });
        return z.NEVER;
      }
      return Number(match[1]) * (UNIT_MS[match[2] ?? bareUnit] ?? 1);
    }),
  ]);
}
