import { isAbsolute } from 'node:path';
import { duration, parseOptions } from '@tooz/core';
import { z } from 'zod';

const directory = z
  .string()
  .min(1, 'must not be empty')
  .refine((path) => !path.includes('\u0000'), 'must not contain NUL')
  .refine(isAbsolute, 'must be an absolute path');

function settingsShape(bareUnit: 'ms' | 's') {
  return {
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
  };
}

const fileOptionsSchema = z.object({ directory, ...settingsShape('ms') }).strict();

/** tooz's executor kinds (`utils.ProxyExecutor`); tooz refuses any other. */
const EXECUTORS = ['threaded', 'thread', 'threading', 'synchronous', 'sync'] as const;

/**
 * URL query values arrive as strings; a bare number means seconds, as
 * everywhere in URLs. tooz's `executor` (how its file driver runs calls in
 * Python) is accepted, checked as tooz checks it, and means nothing here.
 */
const urlOptionsSchema = z
  .object({
    ...settingsShape('s'),
    executor: z.enum(EXECUTORS, { message: `must be one of ${EXECUTORS.join(', ')} (tooz's executors)` }).optional(),
  })
  .strict()
  .transform(({ executor: _, ...settings }) => settings);

export type FileOptions = z.input<typeof fileOptionsSchema>;
export type FileSettings = Omit<z.output<typeof fileOptionsSchema>, 'directory'>;
export type ParsedFileOptions = z.output<typeof fileOptionsSchema>;

export function parseFileOptions(options: unknown): ParsedFileOptions {
  return parseOptions(fileOptionsSchema, options);
}

/** URL parameters in tooz's snake_case or in camelCase. */
export function parseUrlOptions(options: Readonly<Record<string, unknown>>): FileSettings {
  const camel = Object.fromEntries(
    Object.entries(options).map(([key, value]) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), value]),
  );
  return parseOptions(urlOptionsSchema, camel);
}
