import type { Observable, ObservableInput } from 'rxjs';
import type { GroupId, MemberId } from '../ids.js';
import type { HoldLoss } from './loss.js';

/** Capabilities travel through the SPI already encoded (msgpack, as tooz stores them). */
export type EncodedCapabilities = Uint8Array;

/** What the driver needs to refer to one membership later; drivers extend it (`GroupBackend<TheirHandle>`). */
export interface MemberHandle {
  /**
   * Optional push signal that this membership is gone, with the reason
   * (`stolen`: removed by someone else). Like a lock handle's, it must
   * replay to a late subscriber: build it with the kit's `LossSignal`.
   */
  readonly lost$?: Observable<HoldLoss>;
  /** As `LockHandle.sentAt`: the send of the request that made the membership, when later than core's call. */
  readonly sentAt?: number;
}

/** A change to one group that `watch(group)` pushes. */
export type GroupChange =
  | {
      /** A member joined. */
      readonly type: 'joined';
      /** The member. */
      readonly memberId: MemberId;
      /** Its capabilities, as stored. */
      readonly capabilities: EncodedCapabilities;
    }
  | {
      /** A member replaced its capabilities. */
      readonly type: 'updated';
      /** The member. */
      readonly memberId: MemberId;
      /** Its new capabilities, as stored. */
      readonly capabilities: EncodedCapabilities;
    }
  | {
      /** A member left or expired. */
      readonly type: 'left';
      /** The member. */
      readonly memberId: MemberId;
    }
  /** Changes may have been missed (watch re-armed, revision compacted): core re-reads and diffs. */
  | {
      /** Core re-reads the members and diffs. */
      readonly type: 'resync';
    }
  | {
      /** The group itself was deleted. */
      readonly type: 'deleted';
    };

/** What core passes with every join and refresh. */
export interface MembershipOptions {
  /** Milliseconds a member stays alive without a refresh (TTL drivers). */
  readonly ttl: number;
}

/**
 * Errors: GroupNotFoundError, GroupAlreadyExistsError, GroupNotEmptyError,
 * MemberAlreadyJoinedError, MemberNotJoinedError from `@tooz/core`;
 * ConnectionError for anything the network did.
 */
export interface GroupBackend<H extends MemberHandle = MemberHandle> {
  /** Creates the group; GroupAlreadyExistsError if it exists. */
  create(group: GroupId): ObservableInput<void>;
  /** Deletes an empty group; GroupNotFoundError, GroupNotEmptyError. */
  delete(group: GroupId): ObservableInput<void>;
  /** Ids of every group in the namespace. */
  list(): ObservableInput<readonly GroupId[]>;
  /** Joins as the session's member id. */
  join(group: GroupId, capabilities: EncodedCapabilities, options: MembershipOptions): ObservableInput<H>;
  /** Ends the membership `handle` stands for; MemberNotJoinedError if it is gone. */
  leave(group: GroupId, handle: H): ObservableInput<void>;
  /** Present on TTL drivers: emits false when the membership is gone. */
  refresh?(group: GroupId, handle: H, options: MembershipOptions): ObservableInput<boolean>;
  /** Replaces the member's stored capabilities; MemberNotJoinedError if it is gone. */
  update(group: GroupId, handle: H, capabilities: EncodedCapabilities): ObservableInput<void>;
  /** Live members only (a driver prunes or hides the dead). */
  members(group: GroupId): ObservableInput<ReadonlyMap<MemberId, EncodedCapabilities>>;
  /**
   * Hot stream of changes to one group. Core subscribes before reading a
   * snapshot. Poll drivers return EMPTY: core re-reads `members()` itself.
   */
  watch(group: GroupId): Observable<GroupChange>;
}
