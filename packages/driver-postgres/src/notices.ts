import type { LockKey } from '@tooz/core/driver';

/**
 * NOTIFY payloads: a letter, then space-separated base64 fields (ids are
 * arbitrary Unicode, so they travel encoded), in the standard alphabet with
 * padding and no line breaks, as Node writes it and as the sweep's SQL does
 * (`encode(..., 'base64')` with its newlines removed): receivers compare the
 * text as is. The payload limit is 8000
 * bytes; capabilities that would not fit are left out and the receiver
 * re-reads the group instead.
 *
 *   R <kind> <name>            lock or seat released   (kind: l = lock, e = leader seat)
 *   A <kind> <name> <member>   seat taken
 *   J <group> <member> [<capabilities>]   joined
 *   U <group> <member> [<capabilities>]   capabilities updated
 *   L <group> <member>         left (also written by the sweep, in SQL)
 *   D <group>                  group deleted
 */

const PAYLOAD_LIMIT = 7_900;

export type LockKindCode = 'l' | 'e';

export type Notice =
  | { readonly type: 'released'; readonly topic: string }
  | { readonly type: 'acquired'; readonly topic: string; readonly holder: string }
  | {
      readonly type: 'joined' | 'updated';
      readonly topic: string;
      readonly memberId: string;
      /** Absent when it did not fit in the payload: re-read the group. */
      readonly capabilities: Uint8Array | undefined;
    }
  | { readonly type: 'left'; readonly topic: string; readonly memberId: string }
  | { readonly type: 'deleted'; readonly topic: string };

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const fromB64 = (field: string): Buffer => Buffer.from(field, 'base64');

/** The dispatch key of a lock or seat's notices. */
export const lockTopic = (kind: LockKindCode, name64: string): string => `${kind} ${name64}`;
/** The dispatch key of a group's notices. */
export const groupTopic = (group64: string): string => `g ${group64}`;
/** The lock or seat a lock topic stands for. */
export function lockOfTopic(topic: string): LockKey {
  const [kind, name64 = ''] = topic.split(' ');
  return { kind: kind === 'e' ? 'leader' : 'lock', name: fromB64(name64).toString('utf8') };
}
/** The group id (its bytes) a group topic stands for. */
export const groupOfTopic = (topic: string): Buffer => fromB64(topic.slice(2));

export const releasedPayload = (kind: LockKindCode, name64: string): string => `R ${kind} ${name64}`;
export const acquiredPayload = (kind: LockKindCode, name64: string, member64: string): string =>
  `A ${kind} ${name64} ${member64}`;
export const leftPayload = (group64: string, member64: string): string => `L ${group64} ${member64}`;
export const deletedPayload = (group64: string): string => `D ${group64}`;

export function memberPayload(letter: 'J' | 'U', group64: string, member64: string, capabilities: Uint8Array): string {
  const head = `${letter} ${group64} ${member64}`;
  const encoded = Buffer.from(capabilities.buffer, capabilities.byteOffset, capabilities.byteLength).toString('base64');
  return head.length + encoded.length + 1 <= PAYLOAD_LIMIT ? `${head} ${encoded}` : head;
}

/** Parses a payload; anything malformed (another program on the channel) gives undefined. */
export function parseNotice(payload: string): Notice | undefined {
  const fields = payload.split(' ');
  const [letter, first, second, third] = fields;
  if (first === undefined) return undefined;
  switch (letter) {
    case 'R':
      return isKind(first) && second !== undefined ? { type: 'released', topic: lockTopic(first, second) } : undefined;
    case 'A':
      return isKind(first) && second !== undefined && third !== undefined
        ? { type: 'acquired', topic: lockTopic(first, second), holder: fromB64(third).toString('utf8') }
        : undefined;
    case 'J':
    case 'U':
      if (second === undefined) return undefined;
      return {
        type: letter === 'J' ? 'joined' : 'updated',
        topic: groupTopic(first),
        memberId: fromB64(second).toString('utf8'),
        capabilities: third === undefined ? undefined : new Uint8Array(fromB64(third)),
      };
    case 'L':
      return second === undefined
        ? undefined
        : { type: 'left', topic: groupTopic(first), memberId: fromB64(second).toString('utf8') };
    case 'D':
      return { type: 'deleted', topic: groupTopic(first) };
    default:
      return undefined;
  }
}

const isKind = (code: string): code is LockKindCode => code === 'l' || code === 'e';
