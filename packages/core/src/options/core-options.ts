import { isWellFormed } from '../internal/well-formed.js';
import { hostname } from 'node:os';
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import type { Holds, SameShape } from '../driver/same-shape.js';
import type { CoreOptions, CoreOptionsInput } from './types.js';
import { DEFAULT_MAX_ID_BYTES } from '../ids.js';
import type { Logger } from '../internal/telemetry.js';
import { duration } from './duration.js';

const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

const isLogger = (value: unknown): value is Logger =>
  typeof value === 'object' &&
  value !== null &&
  ['debug', 'info', 'warn', 'error'].some((level) => typeof (value as Record<string, unknown>)[level] === 'function');

const isScheduler = (value: unknown): value is SchedulerLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SchedulerLike).now === 'function' &&
  typeof (value as SchedulerLike).schedule === 'function';

/**
 * The shortest TTL accepted. `{ ttl: 10 }` in code means 10 ms (a URL's
 * `?ttl=10` means 10 s): below this floor it is almost surely a unit
 * mistake, and a hold would spend its life refreshing.
 */
export const MIN_TTL = 100;
const TTL_FLOOR = `must be at least ${MIN_TTL} ms (a number in code is milliseconds: write '10s' or 10_000 for ten seconds)`;

/** Options every coordinator takes, whatever the driver. */
export function coreOptionsSchema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  const ttlMs = () => ms.pipe(z.number().min(MIN_TTL, TTL_FLOOR));
  return z.object({
    memberId: z
      .string()
      .min(1, 'must not be empty')
      .refine(isWellFormed, 'is not valid UTF-8')
      .refine((id) => Buffer.byteLength(id) <= DEFAULT_MAX_ID_BYTES, `is longer than ${DEFAULT_MAX_ID_BYTES} bytes`)
      .optional(),
    namespace: z
      .string()
      .regex(NAMESPACE, 'must be 1-63 characters of letters, digits, "_", "-" or "." and not start with "-" or "."')
      .default('tooz'),
    /** Default TTL for locks, memberships and leader seats on TTL backends. */
    ttl: ttlMs().default(10_000),
    lockTtl: ttlMs().optional(),
    membershipTtl: ttlMs().optional(),
    leaderTtl: ttlMs().optional(),
    /** First and largest delay between retries of a failed backend call. */
    retryDelay: ms.default(50),
    maxRetryDelay: ms.default(2_000),
    /** On backends without push notifications: how often waiters and watchers re-read (default: the driver's). */
    pollInterval: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
    /** How long a leader that stood down waits for a successor before running again. */
    standDownGrace: ms.optional(),
    /**
     * How long `connect()` keeps trying a backend it cannot reach yet (a
     * refused or dropped connection; never bad credentials or bad options),
     * with the retry options' jittered backoff. Default 0: one attempt.
     */
    connectWithin: ms.default(0),
    scheduler: z.custom<SchedulerLike>(isScheduler, 'must be an RxJS SchedulerLike').optional(),
    /** A pino-like logger (`{ debug, info, warn, error }`, each `(fields, message)`); silent without one. */
    logger: z.custom<Logger>(isLogger, 'must be an object with debug/info/warn/error methods').optional(),
  });
}

export type { CoreOptions, CoreOptionsInput, Duration } from './types.js';

// A field added to the schema (or changed) and not here fails the type-check.
type _CoreOptionsMatchSchema = [
  Holds<SameShape<CoreOptionsInput, z.input<ReturnType<typeof coreOptionsSchema>>>>,
  Holds<SameShape<CoreOptions, z.output<ReturnType<typeof coreOptionsSchema>>>>,
];

export const CORE_OPTION_KEYS = new Set(Object.keys(coreOptionsSchema('ms').shape));

/** tooz's query parameter names, accepted for URLs copied from Python services. */
export const TOOZ_ALIASES: Readonly<Record<string, string>> = {
  member_id: 'memberId',
  timeout: 'ttl',
  lock_timeout: 'lockTtl',
  membership_timeout: 'membershipTtl',
  leader_timeout: 'leaderTtl',
  poll_interval: 'pollInterval',
};

export function defaultMemberId(): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `${hostname()}-${process.pid}-${random}`;
}
