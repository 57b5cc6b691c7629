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
    value.forEach((item, index) => check(item, `${path}[${index}]`, seen));
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidArgumentError(path, `a ${proto?.constructor?.name ?? 'class'} instance cannot be encoded; use a plain object`);
    }
    for (const [key, item] of Object.entries(value)) check(item, `${path}.${key}`, seen);
  }
  seen.delete(value);
}

/** Encodes for the SPI; refuses, naming the field, anything Python tooz could not read back. */
export function encodeCapabilities(value: Capabilities, field = 'capabilities'): EncodedCapabilities {
  check(value, field, new Set());
  const bytes = encode(value ?? null, { useBigInt64: true, ignoreUndefined: true });
  if (bytes.length > MAX_CAPABILITIES_BYTES) {
    throw new InvalidArgumentError(field, `encodes to ${bytes.length} bytes; the limit is ${MAX_CAPABILITIES_BYTES}`);
  }
  return bytes;
}

/** Decodes what any member wrote, tooz 3.1's empty-bytes default included. */
export function decodeCapabilities(bytes: EncodedCapabilities): Capabilities {
  if (bytes.length === 0) return null;
  return decode(bytes, { useBigInt64: true });
}
