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

export type GroupChange =
  | { readonly type: 'joined'; readonly memberId: MemberId; readonly capabilities: EncodedCapabilities }
  | { readonly type: 'updated'; readonly memberId: MemberId; readonly capabilities: EncodedCapabilities }
  | { readonly type: 'left'; readonly memberId: MemberId }
  /** Changes may have been missed (watch re-armed, revision compacted): core re-reads and diffs. */
  | { readonly type: 'resync' }
  | { readonly type: 'deleted' };

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
  create(group: GroupId): ObservableInput<void>;
  delete(group: GroupId): ObservableInput<void>;
  list(): ObservableInput<readonly GroupId[]>;
  /** Joins as the session's member id. */
  join(group: GroupId, capabilities: EncodedCapabilities, options: MembershipOptions): ObservableInput<H>;
  leave(group: GroupId, handle: H): ObservableInput<void>;
  /** Present on TTL drivers: emits false when the membership is gone. */
  refresh?(group: GroupId, handle: H, options: MembershipOptions): ObservableInput<boolean>;
  update(group: GroupId, handle: H, capabilities: EncodedCapabilities): ObservableInput<void>;
  /** Live members only (a driver prunes or hides the dead). */
  members(group: GroupId): ObservableInput<ReadonlyMap<MemberId, EncodedCapabilities>>;
  /**
   * Hot stream of changes to one group. Core subscribes before reading a
   * snapshot. Poll drivers return EMPTY: core re-reads `members()` itself.
   */
  watch(group: GroupId): Observable<GroupChange>;
}
