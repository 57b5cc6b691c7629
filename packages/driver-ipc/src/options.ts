import { flag, type Holds, parseDriverOptions, type SameShape } from '@tooz/core/driver';
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

// Written out rather than z.input/z.output, so zod's types stay out of the
// package's .d.ts; the check below keeps them equal to the schema.
/** Options of `ipc({...})`, before defaults. */
export type IpcOptions = {
  /** At open, take and remove every listed semaphore whose holder died with nobody waiting (default true). */
  sweep?: boolean | string | undefined;
};
/** Parsed ipc options, as the session uses them. */
export type IpcSettings = {
  /** Whether open sweeps the semaphores of dead holders. */
  sweep: boolean;
};
type _IpcOptionsMatchSchema = [
  Holds<SameShape<IpcOptions, z.input<typeof objectSchema>>>,
  Holds<SameShape<IpcSettings, z.output<typeof objectSchema>>>,
];

/** `from: 'url'` for a URL's query parameters (strings, tooz's `executor`). */
export function parseIpcOptions(
  options: Readonly<Record<string, unknown>>,
  from: 'object' | 'url' = 'object',
): IpcSettings {
  return parseDriverOptions(from === 'url' ? urlSchema : objectSchema, options ?? {}, {});
}
