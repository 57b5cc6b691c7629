import type { Observable, ObservableInput } from 'rxjs';
import type { GroupId, MemberId } from '../ids.js';

/** Capabilities travel through the SPI already encoded (msgpack, as tooz stores them). */
export type EncodedCapabilities = Uint8Array;

export interface MemberHandle {
  /**
   * Optional push signal that this membership is gone. Emitting means removed
   * by someone else, erroring means expired. Like a lock handle's, it must
   * replay to a late subscriber (a `ReplaySubject(1)`).
   */
  readonly lost$?: Observable<unknown>;
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
export interface GroupBackend {
  create(group: GroupId): ObservableInput<void>;
  delete(group: GroupId): ObservableInput<void>;
  list(): ObservableInput<readonly GroupId[]>;
  /** Joins as the session's member id. */
  join(group: GroupId, capabilities: EncodedCapabilities, options: MembershipOptions): ObservableInput<MemberHandle>;
  leave(group: GroupId, handle: MemberHandle): ObservableInput<void>;
  /** Present on TTL drivers: emits false when the membership is gone. */
  refresh?(group: GroupId, handle: MemberHandle, options: MembershipOptions): ObservableInput<boolean>;
  update(group: GroupId, handle: MemberHandle, capabilities: EncodedCapabilities): ObservableInput<void>;
  /** Live members only (a driver prunes or hides the dead). */
  members(group: GroupId): ObservableInput<ReadonlyMap<MemberId, EncodedCapabilities>>;
  /** Hot stream of changes to one group. Core subscribes before reading a snapshot. */
  watch(group: GroupId): Observable<GroupChange>;
}
