/**
 * The names this instrumentation reports under, in the style of the
 * OpenTelemetry semantic conventions: dotted lower-case namespaces, units in
 * UCUM (`s`, `{loss}`), durations in seconds.
 */
export const TOOZ_METRICS = {
  /** Histogram (s): from subscribing to a lock to the end of the wait, whatever ended it. */
  lockWait: 'tooz.lock.wait.duration',
  /** Histogram (s): from held to released or lost. */
  lockHold: 'tooz.lock.hold.duration',
  /** Histogram (s): each episode a held lock spent at risk (suspended, refresh failing, stalled). */
  lockAtRisk: 'tooz.lock.at_risk.duration',
  /** Counter ({loss}): locks lost, by reason. */
  lockLosses: 'tooz.lock.losses',
  /** Counter ({loss}): memberships lost, by reason. */
  membershipLosses: 'tooz.membership.losses',
  /** UpDownCounter ({member}): this process's members of each group; summed over processes, the group's size. */
  groupMembers: 'tooz.group.members',
  /** Counter ({transition}): this member starting or ceasing to lead a group. */
  leadershipTransitions: 'tooz.leadership.transitions',
  /** Counter ({transition}): connection state changes (suspended, reconnected, lost…). */
  connectionTransitions: 'tooz.connection.transitions',
  /** Histogram (s): one request to the backend, from its send to its answer. */
  backendOperation: 'tooz.backend.operation.duration',
} as const;

/** Span names: one span per acquire of a lock (not of a leader seat) and per release. */
export const TOOZ_SPANS = {
  /** From subscribing (or `acquire()`) to held, timeout, error or cancellation. */
  acquire: 'tooz.lock.acquire',
  /** From unsubscribing (or `release()`) to the backend's confirmation. */
  release: 'tooz.lock.release',
} as const;

/** Attribute keys. Never a credential, a URL or a capability value. */
export const TOOZ_ATTRIBUTES = {
  /** The driver's name: `redis`, `etcd`, `memory`… */
  driver: 'tooz.driver',
  /** The lock's name (for a leader seat, the group's id); see the `lockName` option. */
  lockName: 'tooz.lock.name',
  /** `lock`, or `leader` for a leadership seat (held as a lock of that kind). */
  lockKind: 'tooz.lock.kind',
  /** How a wait ended (`acquired`, `timeout`, `error`, `cancelled`) or a hold ended (`released`, `lost`). */
  lockOutcome: 'tooz.lock.outcome',
  /** On spans only: the hold's fencing token, as a decimal string. */
  fencingToken: 'tooz.lock.fencing_token',
  /** On spans only: the coordinator's member id. */
  memberId: 'tooz.member.id',
  /** The group's id. */
  groupId: 'tooz.group.id',
  /** `expired`, `stolen`, `session-lost`… (the error's `reason`). */
  lossReason: 'tooz.loss.reason',
  /** `true` on becoming leader, `false` on ceasing to lead. */
  leading: 'tooz.leadership.leading',
  /** The state entered: `connected`, `suspended`, `reconnected`, `lost`, `closed`. */
  connectionState: 'tooz.connection.state',
  /** The driver method: `tryAcquire`, `release`, `refresh`, `join`, `members`… */
  operation: 'tooz.backend.operation',
  /** The semantic conventions' own key: an error's class name. */
  errorType: 'error.type',
} as const;
