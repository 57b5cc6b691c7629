import { redact } from './redact.js';

/** The `code` of each {@link ToozError} subclass, one per condition. */
export type ToozErrorCode =
  | 'LOCK_LOST'
  | 'LOCK_TIMEOUT'
  | 'MEMBERSHIP_LOST'
  | 'GROUP_NOT_FOUND'
  | 'GROUP_ALREADY_EXISTS'
  | 'GROUP_NOT_EMPTY'
  | 'MEMBER_ALREADY_JOINED'
  | 'MEMBER_NOT_JOINED'
  | 'NOT_SUPPORTED'
  | 'INVALID_ARGUMENT'
  | 'CONNECTION'
  | 'UNKNOWN_NODE';

/**
 * Normalises whatever was thrown into an Error whose message, and whose
 * causes' messages, carry no credential (client libraries nest their errors).
 */
export function normaliseCause(cause: unknown, depth = 0): Error | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof ToozError) return cause;
  if (!(cause instanceof Error)) return new Error(redact(String(cause)));
  const inner = depth < 8 ? normaliseCause((cause as { cause?: unknown }).cause, depth + 1) : undefined;
  const clean = redact(cause.message);
  if (clean === cause.message && inner === (cause as { cause?: unknown }).cause) return cause;
  const copy = new Error(clean, inner ? { cause: inner } : undefined);
  copy.name = cause.name;
  return copy;
}

/**
 * Every ToozError carries the names of its classes under a global symbol,
 * so that an application with two copies of `@tooz/core` installed (a
 * driver resolving its own) still classifies a driver's errors: `instanceof`
 * and `isRetryable` check the brand, not one copy's prototype chain.
 */
const BRAND = Symbol.for('@tooz/core.ToozError');

interface Branded {
  readonly [BRAND]: readonly string[];
}

function brandOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const brand = (value as Partial<Branded>)[BRAND];
  return Array.isArray(brand) ? brand : undefined;
}

/** The root of every error this SDK raises; `code` tells them apart without `instanceof`. */
export class ToozError extends Error {
  /** Which condition this is; stable across versions, unlike messages. */
  readonly code: ToozErrorCode;
  /** The underlying error (a client library's, a socket's), with credentials masked in its message and its causes'. */
  override readonly cause: Error | undefined;
  /**
   * Names of this error's classes, under `Symbol.for('@tooz/core.ToozError')`: what `instanceof` checks, so errors
   * from another copy of `@tooz/core` still match.
   */
  declare readonly [BRAND]: readonly string[];

  constructor(code: ToozErrorCode, message: string, options?: { cause?: unknown }) {
    const cause = normaliseCause(options?.cause);
    super(redact(message), cause ? { cause } : undefined);
    this.code = code;
    this.cause = cause;
    this.name = new.target.name;
    const names: string[] = [];
    for (
      let proto: unknown = new.target;
      typeof proto === 'function' && proto !== Error;
      proto = Object.getPrototypeOf(proto)
    ) {
      names.push((proto as { name: string }).name);
    }
    Object.defineProperty(this, BRAND, { value: names, enumerable: false });
  }
}

// `error instanceof GroupNotFoundError` holds for an error from any copy of `@tooz/core`; subclasses
// inherit this, and `this` is the class asked about.
Object.defineProperty(ToozError, Symbol.hasInstance, {
  value: function hasInstance(this: { readonly name: string }, value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return brandOf(value)?.includes(this.name) ?? false;
  },
});

/** Whether `error` is a {@link ToozError} (from any installed copy of `@tooz/core`), and of `code` when given. */
export function isToozError(error: unknown, code?: ToozErrorCode): error is ToozError {
  return error instanceof ToozError && (code === undefined || error.code === code);
}
