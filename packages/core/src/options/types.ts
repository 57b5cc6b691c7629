// The options' public types, written out rather than z.input/z.output of the
// schema (core-options.ts, which checks they stay equal to it): this module
// imports no zod, so neither does any public .d.ts that names them.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../internal/telemetry.js';

/** A duration in code: a number of milliseconds, or a string with a unit (`'500ms'`, `'10s'`, `'2m'`, `'1h'`). */
export type Duration = number | string;

/** The options `connect()` accepts, before defaults: durations as numbers of ms or strings like `'10s'`. */
export type CoreOptionsInput = {
  /** This process's identity in groups, locks and leadership (default: host, pid and a random part). */
  memberId?: string | undefined;
  /** Prefix of every key, path or table row the driver writes (default `tooz`). */
  namespace?: string | undefined;
  /** Default TTL for locks, memberships and leader seats on TTL backends (default 10 s, at least 100 ms). */
  ttl?: Duration | undefined;
  /** TTL of locks, overriding `ttl` for them (at least 100 ms). */
  lockTtl?: Duration | undefined;
  /** TTL of group memberships, overriding `ttl` for them (at least 100 ms). */
  membershipTtl?: Duration | undefined;
  /** TTL of leader seats, overriding `ttl` for them (at least 100 ms). */
  leaderTtl?: Duration | undefined;
  /** First delay between retries of a failed backend call (default 50 ms). */
  retryDelay?: Duration | undefined;
  /** Largest delay between retries (default 2 s). */
  maxRetryDelay?: Duration | undefined;
  /** On backends without push notifications: how often waiters and watchers re-read (default: the driver's). */
  pollInterval?: Duration | undefined;
  /** How long a leader that stood down waits for a successor before running again (default: half the leader TTL, at most 1 s). */
  standDownGrace?: Duration | undefined;
  /** How long `connect()` keeps trying a backend it cannot reach yet (default 0: one attempt). */
  connectWithin?: Duration | undefined;
  /** The RxJS scheduler every timer and clock read goes through (a TestScheduler in virtual-time tests). */
  scheduler?: SchedulerLike | undefined;
  /** A pino-like logger; silent without one. */
  logger?: Logger | undefined;
};

/** The options after parsing: defaults filled in, durations in milliseconds. */
export type CoreOptions = {
  /** As given; unset means `connect()` makes one up. */
  memberId?: string | undefined;
  /** Key prefix (default `tooz`). */
  namespace: string;
  /** Default TTL in ms. */
  ttl: number;
  /** Lock TTL in ms; unset means `ttl`. */
  lockTtl?: number | undefined;
  /** Membership TTL in ms; unset means `ttl`. */
  membershipTtl?: number | undefined;
  /** Leader-seat TTL in ms; unset means `ttl`. */
  leaderTtl?: number | undefined;
  /** First retry delay in ms. */
  retryDelay: number;
  /** Largest retry delay in ms. */
  maxRetryDelay: number;
  /** Poll interval in ms; unset means the driver's. */
  pollInterval?: number | undefined;
  /** Stand-down grace in ms; unset means half the leader TTL, at most 1 s. */
  standDownGrace?: number | undefined;
  /** How long `connect()` retries an unreachable backend, in ms (0: one attempt). */
  connectWithin: number;
  /** The scheduler for every timer and clock read. */
  scheduler?: SchedulerLike | undefined;
  /** The logger; silent when unset. */
  logger?: Logger | undefined;
};
