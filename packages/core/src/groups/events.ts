import type { Capabilities } from '../capabilities.js';
import type { MemberId } from '../ids.js';

export type MembershipEvent =
  | {
      readonly type: 'joined';
      readonly groupId: string;
      readonly memberId: MemberId;
      readonly capabilities: Capabilities;
    }
  | {
      readonly type: 'updated';
      readonly groupId: string;
      readonly memberId: MemberId;
      readonly capabilities: Capabilities;
    }
  | { readonly type: 'left'; readonly groupId: string; readonly memberId: MemberId };
