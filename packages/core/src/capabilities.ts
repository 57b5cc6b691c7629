import { isWellFormed } from './internal/well-formed.js';
import { decode, encode } from '@msgpack/msgpack';
import { InvalidArgumentError } from './errors/errors.js';
import type { EncodedCapabilities } from './spi/groups.js';

/**
 * What a member advertises: any msgpack value, usually a plain object such as
 * `{ weight: 2 }`. Stored as msgpack so Python tooz members can read it.
 */
export type Capabilities = unknown;

/** Plenty for what members advertise, small enough for any backend's value limit. */
export const MAX_CAPABILITIES_BYTES = 512 * 1024;

function check(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new InvalidArgumentError(path, 'is not valid UTF-8 (lone surrogate)');
      return;
    case 'number':
    case 'boolean':
      return;
    case 'bigint':
      if (value < -(2n ** 63n) || value >= 2n ** 64n) throw new InvalidArgumentError(path, 'does not fit in 64 bits');
      return;
    case 'undefined':
      return;
    case 'object':
      break;
    default:
      throw new InvalidArgumentError(path, `a ${typeof value} cannot be encoded`);
  }
  if (value === null || value instanceof Uint8Array || value instanceof Date) return;
  if (seen.has(value)) throw new InvalidArgumentError(path, 'is circular');
  seen.add(value);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) check(item, `${path}[${index}]`, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidArgumentError(
        path,
        `a ${proto?.constructor?.name ?? 'class'} instance cannot be encoded; use a plain object`,
      );
    }
    for (const [key, item] of Object.entries(value)) {
      if (!isWellFormed(key))
        throw new InvalidArgumentError(`${path}.${key}`, 'has a key that is not valid UTF-8 (lone surrogate)');
      check(item, `${path}.${key}`, seen);
    }
  }
  seen.delete(value);
}

/** Encodes for the SPI; refuses, naming the field, anything Python tooz could not read back. */
export function encodeCapabilities(value: Capabilities, field = 'capabilities'): EncodedCapabilities {
  check(value, field, new Set());
  const bytes = encode(widenIntegers(value) ?? null, { useBigInt64: true, ignoreUndefined: true });
  if (bytes.length > MAX_CAPABILITIES_BYTES) {
    throw new InvalidArgumentError(field, `encodes to ${bytes.length} bytes; the limit is ${MAX_CAPABILITIES_BYTES}`);
  }
  return bytes;
}

const UINT32 = 2 ** 32;

/**
 * Whole numbers beyond 32 bits would be written as floats (Python would read
 * 2**40 back as 1099511627776.0); as bigints they are written as 64-bit ints.
 * Returns the same object when nothing needs widening.
 */
function widenIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value >= UINT32 || value < -(2 ** 31)) ? BigInt(value) : value;
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  if (Array.isArray(value)) {
    const items = value.map(widenIntegers);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const widened = widenIntegers(item);
    if (widened !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = widened;
    }
  }
  return copy ?? value;
}

/** 64-bit integers come back as numbers when they fit exactly, as bigints otherwise. */
function narrowIntegers(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(narrowIntegers);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, narrowIntegers(item)]));
  }
  return value;
}

/**
 * Decodes what any member wrote, tooz 3.1's empty-bytes default included.
 * Bytes that are not msgpack are returned as they are: one member with
 * foreign data must not break everyone's view of the group.
 */
export function decodeCapabilities(bytes: EncodedCapabilities): Capabilities {
  // Python tooz's default capabilities are b"" (msgpack c4 00): "none", as this SDK's default null is.
  if (bytes.length === 0 || (bytes.length === 2 && bytes[0] === 0xc4 && bytes[1] === 0)) return null;
  try {
    return narrowIntegers(decode(bytes, { useBigInt64: true }));
  } catch {
    return bytes;
  }
}
