import { isAbsolute } from 'node:path';
import { duration, type Holds, parseDriverOptions, type SameShape } from '@tooz/core/driver';
import { z } from 'zod';

const directory = z
  .string()
  .min(1, 'must not be empty')
  .refine((path) => !path.includes('\u0000'), 'must not contain NUL')
  .refine(isAbsolute, 'must be an absolute path');

/** tooz's executor kinds (`utils.ProxyExecutor`); tooz refuses any other. */
const EXECUTORS = ['threaded', 'thread', 'threading', 'synchronous', 'sync'] as const;

/** A bare number means milliseconds in the options object and seconds in a URL, as everywhere. */
function schema(bareUnit: 'ms' | 's') {
  return z.object({
    directory,
    /**
     * Bound on how long after a process dies its memberships are reported
     * left and waiters for its locks are woken (usually at once; this bounds
     * the re-checks that cover the kernel's close-then-unlock order).
     */
    crashDetection: duration(bareUnit)
      .pipe(z.number().min(1, 'must be at least 1 ms').max(60_000, 'must be at most 60 s'))
      .default(1_000),
    /** Waiters re-try after this long if no notification arrived (they normally do at once). */
    safetyRetry: duration(bareUnit).pipe(z.number().min(10, 'must be at least 10 ms')).default(30_000),
  });
}

const objectSchema = schema('ms').strict();
/** tooz's `executor` (how its file driver runs calls in Python) is checked as tooz checks it, and means nothing here. */
const urlSchema = schema('s')
  .extend({
    executor: z.enum(EXECUTORS, { message: `must be one of ${EXECUTORS.join(', ')} (tooz's executors)` }).optional(),
  })
  .strict()
  .transform(({ executor: _, ...settings }) => settings);

/** tooz's snake_case spellings. */
const ALIASES = { crash_detection: 'crashDetection', safety_retry: 'safetyRetry' };

// Written out rather than z.input/z.output, so zod's types stay out of the
// package's .d.ts; the check below keeps them equal to the schema.
/** Options of `file({...})`, before defaults. Durations: milliseconds, or strings such as `'2s'`. */
export type FileOptions = {
  /** Absolute path of the directory every process on the host shares. */
  directory: string;
  /** Bound on how long after a process dies it is seen gone (default 1 s, 1 ms to 60 s). */
  crashDetection?: number | string | undefined;
  /** Waiters re-try after this long if no notification arrived (default 30 s, at least 10 ms). */
  safetyRetry?: number | string | undefined;
};
/** Parsed file options, as the session uses them. */
export type FileSettings = {
  /** Absolute path of the shared directory. */
  directory: string;
  /** Crash-detection bound in ms. */
  crashDetection: number;
  /** Waiters' re-try interval in ms. */
  safetyRetry: number;
};
type _FileOptionsMatchSchema = [
  Holds<SameShape<FileOptions, z.input<typeof objectSchema>>>,
  Holds<SameShape<FileSettings, z.output<typeof objectSchema>>>,
];

/** `from: 'url'` for a URL's query parameters (strings, bare numbers in seconds, tooz's `executor`). */
export function parseFileOptions(
  options: Readonly<Record<string, unknown>>,
  from: 'object' | 'url' = 'object',
): FileSettings {
  return parseDriverOptions(from === 'url' ? urlSchema : objectSchema, options ?? {}, ALIASES);
}
