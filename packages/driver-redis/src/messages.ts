import type { GroupChange, LockChange } from '@tooz/core/driver';
import { memberOfField } from './keys.js';

// The payloads the Lua scripts publish; their first byte says what happened.
const A = 0x41;
const D = 0x44;
const J = 0x4a;
const L = 0x4c;
const M = 0x4d;
const P = 0x50;
const R = 0x52;
const U = 0x55;
const COLON = 0x3a;
const SPACE = 0x20;

const RELEASED: LockChange = { type: 'released' };
const DELETED: GroupChange = { type: 'deleted' };

/** On a lock's channel: "A<member id>" taken, "R" released. */
export function decodeLockEvent(payload: Buffer): LockChange | undefined {
  switch (payload[0]) {
    case R:
      return RELEASED;
    case A:
      return { type: 'acquired', holder: payload.toString('utf8', 1) };
    default:
      return undefined;
  }
}

/** On a group's channel: "P", a script saw the group's first Python tooz member (group-expiry.ts). */
export function isPythonSeen(payload: Buffer): boolean {
  return payload.length === 1 && payload[0] === P;
}

/** On a group's channel: "J<n>:<field><caps>", "U<n>:<field><caps>", "L<field>", "D" (see includes/members.lua). */
export function decodeGroupEvent(payload: Buffer): GroupChange | undefined {
  const kind = payload[0];
  if (kind === D) return DELETED;
  if (kind === L) return { type: 'left', memberId: memberOfField(payload.toString('utf8', 1)) };
  if (kind !== J && kind !== U) return undefined;
  const colon = payload.indexOf(COLON, 1);
  if (colon < 0) return undefined;
  const length = Number(payload.toString('latin1', 1, colon));
  if (!Number.isInteger(length)) return undefined;
  const start = colon + 1;
  const memberId = memberOfField(payload.toString('utf8', start, start + length));
  // A copy: the payload buffer may be a slice of ioredis' read buffer.
  const capabilities = new Uint8Array(payload.subarray(start + length));
  return { type: kind === J ? 'joined' : 'updated', memberId, capabilities };
}

export type InboxMessage =
  | { readonly type: 'lock-broken'; readonly lockKey: string; readonly token: string }
  | { readonly type: 'membership-lost'; readonly groupKey: string; readonly owner: string };

/**
 * On a member's inbox: "L<token> <lock key>" its hold was broken, "M<owner> <group key>"
 * its membership removed. The token and the owner name the very hold, so an
 * older hold's news never reaches a newer one of the same key.
 */
export function decodeInbox(payload: Buffer): InboxMessage | undefined {
  if (payload[0] !== L && payload[0] !== M) return undefined;
  const space = payload.indexOf(SPACE, 1);
  if (space < 0) return undefined;
  const id = payload.toString('latin1', 1, space);
  const key = payload.toString('utf8', space + 1);
  return payload[0] === L
    ? { type: 'lock-broken', token: id, lockKey: key }
    : { type: 'membership-lost', owner: id, groupKey: key };
}
