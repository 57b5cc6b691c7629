import { decodeCapabilities, type EncodedCapabilities, encodeCapabilities } from '@tooz/core/driver';

/**
 * tooz's group and member files, byte for byte as its file driver writes
 * them (TOOZ.md §2.6), so Python tooz can list our groups and read our
 * members' capabilities, and we can read theirs. Plain msgpack, through
 * core's codec; spliced by hand is only what a value cannot say: the
 * capabilities, which come already encoded, and oslo's datetime extension.
 */

/** The extra key that marks a member file of ours: its liveness is the lock on this file. */
const LOCK_FILE_KEY = 'lock_file';
const NIL = Uint8Array.of(0xc0);

const msgpack = (value: unknown): Uint8Array => encodeCapabilities(value, 'file');

export function encodeGroupMetadata(groupId: string): Uint8Array {
  return msgpack({ group_id: Buffer.from(groupId, 'utf8'), encoded: true });
}

/** The group id in a `.metadata` file, or undefined when it is not one. */
export function decodeGroupMetadata(bytes: Uint8Array): string | undefined {
  return text(fieldsOf(bytes)?.group_id);
}

export function encodeMember(memberId: string, capabilities: EncodedCapabilities, lockFile: string, now: Date): Buffer {
  // oslo.serialization's datetime extension (code 1): a nested map, naive local time as Python's now().
  const joinedOn = msgpack({
    day: now.getDate(),
    month: now.getMonth() + 1,
    year: now.getFullYear(),
    hour: now.getHours(),
    minute: now.getMinutes(),
    second: now.getSeconds(),
    microsecond: now.getMilliseconds() * 1000,
  });
  return Buffer.concat([
    Uint8Array.of(0x85),
    msgpack('capabilities'),
    capabilities.length > 0 ? capabilities : NIL,
    msgpack('joined_on'),
    Uint8Array.of(0xc7, joinedOn.length, 1),
    joinedOn,
    // Three more entries: a map of its own, without its header.
    msgpack({ member_id: Buffer.from(memberId, 'utf8'), encoded: true, [LOCK_FILE_KEY]: lockFile }).subarray(1),
  ]);
}

export interface MemberRecord {
  readonly memberId: string;
  readonly capabilities: EncodedCapabilities;
  /** Written by this driver: alive while its lock file is locked. Python tooz's members have no lock. */
  readonly ours: boolean;
}

/** A member file's content, or undefined when it is not one (half written by Python, foreign data). */
export function decodeMember(bytes: Uint8Array): MemberRecord | undefined {
  const fields = fieldsOf(bytes);
  const memberId = text(fields?.member_id);
  if (!fields || memberId === undefined) return undefined;
  let capabilities: EncodedCapabilities = new Uint8Array(0);
  try {
    if (fields.capabilities !== undefined) capabilities = msgpack(fields.capabilities);
  } catch {
    // Beyond what core would write (too large): the member counts, without capabilities.
  }
  return { memberId, capabilities, ours: typeof fields[LOCK_FILE_KEY] === 'string' };
}

function fieldsOf(bytes: Uint8Array): Record<string, unknown> | undefined {
  const value = decodeCapabilities(bytes);
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
  return isMap ? (value as Record<string, unknown>) : undefined;
}

/** tooz writes ids as bytes; old files as strings. */
function text(value: unknown): string | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return typeof value === 'string' ? value : undefined;
}
