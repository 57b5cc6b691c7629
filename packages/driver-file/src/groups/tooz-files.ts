import type { EncodedCapabilities } from '@tooz/core';
import { MsgReader, MsgWriter } from './msgpack.js';

/**
 * tooz's group and member files, byte for byte as its file driver writes
 * them (TOOZ.md §2.6), so Python tooz can list our groups and read our
 * members' capabilities, and we can read theirs.
 */

/** The extra key that marks a member file of ours: its liveness is the lock on this file. */
const LOCK_FILE_KEY = 'lock_file';

export function encodeGroupMetadata(groupId: string): Buffer {
  return new MsgWriter().map(2).str('group_id').bin(Buffer.from(groupId, 'utf8')).str('encoded').bool(true).done();
}

/** The group id in a `.metadata` file, or undefined when it is not one. */
export function decodeGroupMetadata(bytes: Buffer): string | undefined {
  try {
    const fields = readMap(bytes, (key, reader) =>
      key === 'group_id' ? reader.bytesOrString().toString('utf8') : undefined,
    );
    return typeof fields.group_id === 'string' ? fields.group_id : undefined;
  } catch {
    return undefined;
  }
}

/** oslo.serialization's datetime extension (code 1): a nested map, naive local time as Python's now(). */
function joinedOn(now: Date): Buffer {
  return new MsgWriter()
    .map(7)
    .str('day')
    .uint(now.getDate())
    .str('month')
    .uint(now.getMonth() + 1)
    .str('year')
    .uint(now.getFullYear())
    .str('hour')
    .uint(now.getHours())
    .str('minute')
    .uint(now.getMinutes())
    .str('second')
    .uint(now.getSeconds())
    .str('microsecond')
    .uint(now.getMilliseconds() * 1000)
    .done();
}

const NIL = Uint8Array.of(0xc0);
/** tooz 3.1's default capabilities (b""), read as "none". */
const EMPTY_BYTES = Buffer.from([0xc4, 0x00]);

export function encodeMember(
  memberId: string,
  capabilities: EncodedCapabilities,
  lockFile: string,
  joined: Date,
): Buffer {
  return new MsgWriter()
    .map(5)
    .str('capabilities')
    .raw(capabilities.length > 0 ? capabilities : NIL)
    .str('joined_on')
    .ext(1, joinedOn(joined))
    .str('member_id')
    .bin(Buffer.from(memberId, 'utf8'))
    .str('encoded')
    .bool(true)
    .str(LOCK_FILE_KEY)
    .str(lockFile)
    .done();
}

export interface MemberRecord {
  readonly memberId: string;
  readonly capabilities: EncodedCapabilities;
  /** Written by this driver: alive while its lock file is locked. Python tooz's members have no lock. */
  readonly ours: boolean;
}

/** A member file's content, or undefined when it is not one (half written by Python, foreign data). */
export function decodeMember(bytes: Buffer): MemberRecord | undefined {
  try {
    const fields = readMap(bytes, (key, reader) => {
      switch (key) {
        case 'member_id':
          return reader.bytesOrString().toString('utf8');
        case 'capabilities': {
          const raw = reader.skip();
          return raw.equals(EMPTY_BYTES) ? new Uint8Array(0) : Uint8Array.from(raw);
        }
        case LOCK_FILE_KEY:
          return reader.bytesOrString().toString('utf8');
        default:
          return undefined;
      }
    });
    const memberId = fields.member_id;
    if (typeof memberId !== 'string') return undefined;
    const capabilities = fields.capabilities instanceof Uint8Array ? fields.capabilities : new Uint8Array(0);
    return { memberId, capabilities, ours: typeof fields[LOCK_FILE_KEY] === 'string' };
  } catch {
    return undefined;
  }
}

/** Reads a top-level map; `pick` consumes the values it wants (returning them), the rest are skipped. */
function readMap(bytes: Buffer, pick: (key: string, reader: MsgReader) => unknown): Record<string, unknown> {
  const reader = new MsgReader(bytes);
  const size = reader.mapHeader();
  const out: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) {
    // Files of tooz < 1.36 have bytes keys; both read the same.
    const key = reader.bytesOrString().toString('utf8');
    const before = reader.offset;
    const value = pick(key, reader);
    if (value === undefined && reader.offset === before) reader.skip();
    else out[key] = value;
  }
  return out;
}
