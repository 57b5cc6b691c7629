import { flag, parseDriverOptions } from '@tooz/core/driver';
import { z } from 'zod';

/** tooz's executor kinds (`utils.ProxyExecutor`); tooz refuses any other. */
const EXECUTORS = ['threaded', 'thread', 'threading', 'synchronous', 'sync'] as const;

const objectSchema = z
  .object({
    /**
     * At open, take and remove every listed semaphore whose holder died
     * with nobody waiting (default true). Never touches one that is held.
     */
    sweep: flag.default(true),
  })
  .strict();

/** tooz's `executor` (how its drivers run calls in Python) is checked as tooz checks it, and means nothing here. */
const urlSchema = objectSchema
  .extend({
    executor: z.enum(EXECUTORS, { message: `must be one of ${EXECUTORS.join(', ')} (tooz's executors)` }).optional(),
  })
  .strict()
  .transform(({ executor: _, ...settings }) => settings);

export type IpcOptions = z.input<typeof objectSchema>;
export type IpcSettings = z.output<typeof objectSchema>;

/** `from: 'url'` for a URL's query parameters (strings, tooz's `executor`). */
export function parseIpcOptions(
  options: Readonly<Record<string, unknown>>,
  from: 'object' | 'url' = 'object',
): IpcSettings {
  return parseDriverOptions(from === 'url' ? urlSchema : objectSchema, options ?? {}, {});
}
