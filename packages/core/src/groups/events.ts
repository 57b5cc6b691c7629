import type { Capabilities } from '../capabilities.js';
import type { MemberId } from '../ids.js';

/**
 * A change in a group, as `group.events$` emits it: a member joined, changed its capabilities, or left (or was
 * dropped when its session or TTL ran out).
 */
export type MembershipEvent =
  | {
      /** A member joined the group. */
      readonly type: 'joined';
      /** The group. */
      readonly groupId: string;
      /** The member that joined. */
      readonly memberId: MemberId;
      /** The capabilities it joined with. */
      readonly capabilities: Capabilities;
    }
  | {
      /** A member replaced its capabilities (`updateCapabilities`). */
      readonly type: 'updated';
      /** The group. */
      readonly groupId: string;
      /** The member whose capabilities changed. */
      readonly memberId: MemberId;
      /** Its new capabilities. */
      readonly capabilities: Capabilities;
    }
  | {
      /** A member left, or was removed when its session or TTL ran out. */
      readonly type: 'left';
      /** The group. */
      readonly groupId: string;
      /** The member that left. */
      readonly memberId: MemberId;
    };
