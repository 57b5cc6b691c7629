/** tooz's characteristics enum; same names, same meanings. */
export type Characteristic =
  | 'DISTRIBUTED_ACROSS_THREADS'
  | 'DISTRIBUTED_ACROSS_PROCESSES'
  | 'DISTRIBUTED_ACROSS_HOSTS'
  | 'NON_TIMEOUT_BASED'
  | 'LINEARIZABLE'
  | 'SEQUENTIAL'
  | 'CAUSAL'
  | 'SERIALIZABLE'
  | 'SAME_VIEW_UNDER_PARTITIONS'
  | 'SAME_VIEW_ACROSS_CLIENTS';

/** What a driver can do, as data: shown in its README, read by core and by the conformance suite. */
export interface CapabilityDescriptor {
  /** The driver's name, as in its URL scheme (`redis`, `file`). */
  readonly name: string;
  /** Which primitives the backend offers; `connect()` types the coordinator from this. */
  readonly primitives: {
    /** Group membership. */
    readonly groups: boolean;
    /** Leader election. */
    readonly leadership: boolean;
    /** Distributed locks. */
    readonly locks: boolean;
    /** Strictly increasing fencing tokens on locks. */
    readonly fencing: boolean;
  };
  /**
   * How events and lock hand-offs reach waiters. On `poll` backends core
   * itself re-reads holders and members every `pollInterval` while someone
   * waits or watches: the driver writes no polling code.
   */
  readonly notifications: 'push' | 'poll';
  /** For `poll` backends: milliseconds between core's re-reads (default 1000; the `pollInterval` option overrides it). */
  readonly pollInterval?: number;
  /** What keeps a member or a lock holder alive: a backend session, or refreshed TTLs. */
  readonly liveness: 'session' | 'ttl';
  /** tooz's characteristics the backend has (consistency and scope guarantees). */
  readonly characteristics: readonly Characteristic[];
  /** Largest id the backend can store after escaping, in UTF-8 bytes (default 1024). */
  readonly maxIdBytes?: number;
}

/** `groups`, `leadership`, `locks` or `fencing`. */
export type PrimitiveName = keyof CapabilityDescriptor['primitives'];
