import type { Observable, SchedulerLike } from 'rxjs';
import type { CapabilityDescriptor } from '../descriptor.js';
import type { DriverSession } from '../spi/driver.js';
import type { ConnectionState, ConnectionStateMachine } from './connection-state.js';
import type { LinkedSet } from '../driver/linked-set.js';
import type { LocalMutex } from './local-mutex.js';
import type { PendingWork } from './pending.js';
import type { StallWatchdog } from './stall-watchdog.js';
import type { Telemetry } from './telemetry.js';
import type { TimerQueue } from './timer-queue.js';

/** Something held on the backend that `close()` must end (a lock, a membership, a candidacy). */
export interface Held {
  shutdown(): void;
  /** A connection change (the coordinator tells every held thing, which tells its Hold). */
  onConnection?(state: ConnectionState): void;
  /** The event loop stood still for `lag` ms (told by the stall watchdog). */
  onStall?(lag: number): void;
}

/** Resolved timings, all in milliseconds. */
export interface Timings {
  readonly lockTtl: number;
  readonly membershipTtl: number;
  readonly leaderTtl: number;
  readonly retryDelay: number;
  readonly maxRetryDelay: number;
  readonly standDownGrace: number;
  /** Milliseconds between re-reads on backends without push (notifications: 'poll'); Infinity on push backends. */
  readonly pollInterval: number;
}

/** What every state machine of one coordinator shares. */
export interface CoreContext {
  readonly memberId: string;
  readonly session: DriverSession;
  readonly capabilities: CapabilityDescriptor;
  readonly scheduler: SchedulerLike;
  readonly timings: Timings;
  readonly connection: ConnectionStateMachine;
  readonly localLocks: LocalMutex;
  readonly pending: PendingWork;
  /** Every timer of the state machines goes through it (one scheduler action per coordinator). */
  readonly timers: TimerQueue;
  /** Everything held or pending that `close()` must end, in the order it began. */
  readonly held: LinkedSet<Held>;
  /** Leaves in flight, by group: the coordinator's later calls on that group wait for them. */
  readonly leaving: Map<string, Promise<void>>;
  readonly watchdog: StallWatchdog;
  /**
   * Evaluates the session's own deadlines now (the lease keeper's, the
   * driver's `sessionDeadline`), reporting `lost` synchronously if one has
   * passed. Every read that says "you hold it" calls it first.
   */
  readonly probe: () => void;
  readonly isClosed: () => boolean;
  /**
   * Emits (and replays) once `close()` begins: views and watches complete on
   * it, before the session goes, so a poll tick or a read in flight never
   * outlives the coordinator or fails against a closed session.
   */
  readonly closing$: Observable<void>;
  /** Events for diagnostics_channel and the user's logger. */
  readonly telemetry: Telemetry;
}

/** How long before the backend's own expiry a TTL hold is given up locally. */
export function safetyMargin(ttl: number): number {
  return Math.max(1, Math.floor(ttl / 10));
}

/**
 * When to refresh a TTL hold after its last confirmed send. It decides which
 * partitions a hold survives: one shorter than TTL - margin - this interval
 * - a round trip (0.65 TTL less a round trip) ends before the local deadline.
 */
export function refreshInterval(ttl: number): number {
  return Math.max(1, Math.floor(ttl / 4));
}
