import { InvalidArgumentError } from '../errors/errors.js';
import { MIN_TTL } from '../options/core-options.js';
import type { LockRunOptions } from './lock-run.js';

/** Per-lock options of `coordinator.lock()` and `acquire()`. */
export interface LockOptions {
  /** Milliseconds the backend keeps the lock without a refresh (TTL backends). Default: the coordinator's `lockTtl`. */
  readonly ttl?: number;
  /** Milliseconds to wait for the lock: 0 tries once, Infinity (the default) waits for ever. */
  readonly wait?: number;
}

const KNOWN: ReadonlySet<string> = new Set(['ttl', 'wait']);

/** A class, not an object literal: V8 may pretenure a literal made on every acquire (see LinkedEntry). */
class RunOptions implements LockRunOptions {
  constructor(
    readonly ttl: number,
    readonly wait: number,
  ) {}
}

/** The options of a plain `lock(name)`, shared: they are read-only, and this is on every acquire's path. */
let defaults: LockRunOptions = { ttl: Number.NaN, wait: Number.POSITIVE_INFINITY };

export function resolveLockOptions(options: LockOptions | undefined, defaultTtl: number): LockRunOptions {
  if (options === undefined && defaults.ttl === defaultTtl) return defaults;
  // An option this SDK does not know (or not yet: `shared`) is refused, never silently ignored.
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue;
    if (!KNOWN.has(key)) {
      throw new InvalidArgumentError(`options.${key}`, 'is not a lock option (known: ttl, wait)');
    }
  }
  const ttl = options?.ttl ?? defaultTtl;
  const wait = options?.wait ?? Number.POSITIVE_INFINITY;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < MIN_TTL) {
    throw new InvalidArgumentError(
      'options.ttl',
      `must be a finite number of milliseconds, at least ${MIN_TTL} (write 10_000 for ten seconds)`,
    );
  }
  if (typeof wait !== 'number' || Number.isNaN(wait) || wait < 0) {
    throw new InvalidArgumentError(
      'options.wait',
      'must be a number of milliseconds, 0 or more (Infinity to wait for ever)',
    );
  }
  // `acquire(name)` passes what is left of its options, usually nothing: the shared defaults again.
  if (wait === Number.POSITIVE_INFINITY && ttl === defaultTtl) {
    if (defaults.ttl !== defaultTtl) defaults = new RunOptions(ttl, wait);
    return defaults;
  }
  return new RunOptions(ttl, wait);
}
