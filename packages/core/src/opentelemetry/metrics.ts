import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import type { TelemetryEvent } from '../internal/telemetry.js';
import { TOOZ_ATTRIBUTES as A, TOOZ_METRICS as M } from './names.js';

type LockEvent = Extract<TelemetryEvent, { kind: 'lock' }>;

/** Waits and holds run from milliseconds (uncontended) to minutes (queued, long jobs). */
const LOCK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** A round trip: the semantic conventions' client buckets, with a millisecond at the bottom for local backends. */
const BACKEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const WAIT_OUTCOMES: Partial<Record<LockEvent['event'], string>> = {
  held: 'acquired',
  timeout: 'timeout',
  failed: 'error',
  cancelled: 'cancelled',
};

/** Turns events into measurements on the instruments named in TOOZ_METRICS. */
export class ToozMetrics {
  private readonly lockWait: Histogram;
  private readonly lockHold: Histogram;
  private readonly lockAtRisk: Histogram;
  private readonly lockLosses: Counter;
  private readonly membershipLosses: Counter;
  private readonly groupMembers: UpDownCounter;
  private readonly leadershipTransitions: Counter;
  private readonly connectionTransitions: Counter;
  private readonly backendOperation: Histogram;
  /** The memberships this instrumentation counted as joined, so that a leave after a loss counts once. */
  private readonly joined = new Set<string>();

  constructor(
    meter: Meter,
    private readonly lockName: (name: string) => string | undefined,
  ) {
    const seconds = (name: string, description: string, boundaries: number[]) =>
      meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: boundaries } });
    this.lockWait = seconds(M.lockWait, 'Time from asking for a lock to the end of the wait', LOCK_BUCKETS);
    this.lockHold = seconds(M.lockHold, 'Time a lock was held, until released or lost', LOCK_BUCKETS);
    this.lockAtRisk = seconds(M.lockAtRisk, 'Time a held lock could not be proven', LOCK_BUCKETS);
    this.backendOperation = seconds(M.backendOperation, 'Time of one request to the backend', BACKEND_BUCKETS);
    this.lockLosses = meter.createCounter(M.lockLosses, { description: 'Locks lost', unit: '{loss}' });
    this.membershipLosses = meter.createCounter(M.membershipLosses, {
      description: 'Group memberships lost',
      unit: '{loss}',
    });
    this.groupMembers = meter.createUpDownCounter(M.groupMembers, {
      description: "This process's members of the group",
      unit: '{member}',
    });
    this.leadershipTransitions = meter.createCounter(M.leadershipTransitions, {
      description: 'Times this member started or ceased leading a group',
      unit: '{transition}',
    });
    this.connectionTransitions = meter.createCounter(M.connectionTransitions, {
      description: 'Changes of the connection state',
      unit: '{transition}',
    });
  }

  record(event: TelemetryEvent): void {
    switch (event.kind) {
      case 'lock':
        return this.lock(event);
      case 'membership': {
        const attributes = { [A.driver]: event.driver, [A.groupId]: event.groupId };
        const key = `${event.driver}\u0000${event.memberId}\u0000${event.groupId}`;
        if (event.event === 'joined') {
          if (this.joined.has(key)) return;
          this.joined.add(key);
          this.groupMembers.add(1, attributes);
          return;
        }
        if (event.event === 'lost') this.membershipLosses.add(1, { ...attributes, [A.lossReason]: event.reason });
        if (this.joined.delete(key)) this.groupMembers.add(-1, attributes);
        return;
      }
      case 'leadership':
        return this.leadershipTransitions.add(1, {
          [A.driver]: event.driver,
          [A.groupId]: event.groupId,
          [A.leading]: event.leading,
        });
      case 'state':
        return this.connectionTransitions.add(1, { [A.driver]: event.driver, [A.connectionState]: event.state });
      case 'roundtrip':
        return this.backendOperation.record(seconds(event.durationMs), {
          [A.driver]: event.driver,
          [A.operation]: event.operation,
          ...(event.errorType === undefined ? {} : { [A.errorType]: event.errorType }),
        });
      case 'refresh-failed':
        // Seen in the at-risk time and the backend's failed round trips.
        return;
    }
  }

  private lock(event: LockEvent): void {
    const attributes: Attributes = { [A.driver]: event.driver, [A.lockKind]: event.lockKind };
    const name = this.lockName(event.name);
    if (name !== undefined) attributes[A.lockName] = name;
    const outcome = WAIT_OUTCOMES[event.event];
    if (outcome !== undefined && event.waitedMs !== undefined) {
      this.lockWait.record(seconds(event.waitedMs), {
        ...attributes,
        [A.lockOutcome]: outcome,
        ...(event.errorType === undefined ? {} : { [A.errorType]: event.errorType }),
      });
    }
    if (event.atRiskMs !== undefined) this.lockAtRisk.record(seconds(event.atRiskMs), attributes);
    if (event.event === 'released' || event.event === 'lost') {
      if (event.heldMs !== undefined) {
        this.lockHold.record(seconds(event.heldMs), { ...attributes, [A.lockOutcome]: event.event });
      }
      if (event.event === 'lost') this.lockLosses.add(1, { ...attributes, [A.lossReason]: event.reason });
    }
  }
}

function seconds(ms: number): number {
  return ms / 1000;
}
