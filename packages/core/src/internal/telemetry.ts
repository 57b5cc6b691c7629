import { channel } from 'node:diagnostics_channel';
import { redact } from '../errors/redact.js';

/**
 * A pino-like logger (pino, bunyan, winston's child loggers, `console`
 * fit): each method takes the event's fields, then a message. Absent
 * methods are skipped; without a logger the SDK is silent.
 */
export interface Logger {
  /** Routine lock steps (acquiring, held, released) and backend round trips. */
  debug?(fields: object, message: string): void;
  /** Connection state changes, holds turning at-risk and safe again, joins, leaves, leadership changes. */
  info?(fields: object, message: string): void;
  /** Losses (a lock, a membership, the session), failed acquires and failed refreshes. */
  warn?(fields: object, message: string): void;
  /** Accepted for pino compatibility; the SDK reports nothing at this level today. */
  error?(fields: object, message: string): void;
}

/**
 * What happens to one lock subscription, in order: `acquiring`, then one of
 * `held` / `timeout` / `failed` / `cancelled`; while held, `at-risk` and
 * `safe` (back to proven); then `releasing` and `released`, or `lost`.
 */
export type LockEventName =
  | 'acquiring'
  | 'held'
  | 'timeout'
  | 'failed'
  | 'cancelled'
  | 'at-risk'
  | 'safe'
  | 'releasing'
  | 'released'
  | 'lost';

/**
 * What the SDK reports, on `node:diagnostics_channel` and to the logger.
 * Never a credential. Durations are milliseconds on the coordinator's
 * scheduler (virtual time under a TestScheduler).
 */
export type TelemetryEvent =
  | {
      /** The coordinator's connection state changed (channel `tooz:state`). */
      readonly kind: 'state';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** The new connection state (`connected`, `suspended`, `reconnected`, `lost`, `closed`). */
      readonly state: string;
    }
  | {
      /** A step of one lock subscription (channel `tooz:lock`). */
      readonly kind: 'lock';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** The lock's name (the group id for a leadership seat). */
      readonly name: string;
      /** `leader` for a leadership seat, which is held as a lock of that kind. */
      readonly lockKind: 'lock' | 'leader';
      /** Which step, in the order `LockEventName` lists. */
      readonly event: LockEventName;
      /** Ties the events of one subscription together (unique within the process). */
      readonly run: number;
      /** The hold's fencing token, in decimal, once held. */
      readonly token?: string;
      /** Why it was `lost` (`expired`, `session-lost`, `stolen`). */
      readonly reason?: string;
      /** Why an acquire `failed`: the error's message, redacted. */
      readonly error?: string;
      /** The class name of that error (`ConnectionError`...). */
      readonly errorType?: string;
      /** From `acquiring` to the end of the wait; absent when nobody listened as the wait began. */
      readonly waitedMs?: number;
      /** From `held` to `released` or `lost`. */
      readonly heldMs?: number;
      /** How long the hold was at risk, on the event that ends the episode (`safe`, `released`, `lost`). */
      readonly atRiskMs?: number;
    }
  | {
      /** A TTL refresh failed; the hold or membership may turn at-risk (channel `tooz:refresh-failed`). */
      readonly kind: 'refresh-failed';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** What was being refreshed: the lock or group it belongs to. */
      readonly what: string;
      /** The error's message, redacted. */
      readonly error: string;
    }
  | {
      /** This member joined, left or lost a group (channel `tooz:membership`). */
      readonly kind: 'membership';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** The group. */
      readonly groupId: string;
      /** `joined`, `left` (its own unsubscribe) or `lost`. */
      readonly event: 'joined' | 'left' | 'lost';
      /** Why it was `lost`. */
      readonly reason?: string;
    }
  | {
      /** This member became leader or stopped leading (channel `tooz:leadership`). */
      readonly kind: 'leadership';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** The group whose leadership changed. */
      readonly groupId: string;
      /** Whether this member leads now. */
      readonly leading: boolean;
    }
  | {
      /** One request to the backend through the driver, from its send to its answer. */
      readonly kind: 'roundtrip';
      /** The reporting coordinator's member id. */
      readonly memberId: string;
      /** The driver's name (`redis`, `file`...). */
      readonly driver: string;
      /** The driver method: `tryAcquire`, `release`, `refresh`, `join`, `members`… */
      readonly operation: string;
      /** Milliseconds from send to answer. */
      readonly durationMs: number;
      /** Present when the request failed: the error's class name. */
      readonly errorType?: string;
    };

/** An event as core builds it: the reporter adds the driver's name. */
export type TelemetryInput = Unstamped<TelemetryEvent>;
type Unstamped<E> = E extends unknown ? Omit<E, 'driver'> : never;

/** The channel of each kind of event: `diagnostics_channel.subscribe('tooz:lock', ...)`. */
export const TELEMETRY_CHANNELS = {
  state: 'tooz:state',
  lock: 'tooz:lock',
  'refresh-failed': 'tooz:refresh-failed',
  membership: 'tooz:membership',
  leadership: 'tooz:leadership',
  roundtrip: 'tooz:roundtrip',
} as const satisfies Record<TelemetryEvent['kind'], string>;

const channels = Object.fromEntries(
  Object.entries(TELEMETRY_CHANNELS).map(([kind, name]) => [kind, channel(name)]),
) as Record<TelemetryEvent['kind'], ReturnType<typeof channel>>;

/** The lock events worth more than debug: the steps of every acquire and release would flood a log. */
const LOCK_LEVELS: Partial<Record<LockEventName, keyof Logger>> = {
  lost: 'warn',
  failed: 'warn',
  'at-risk': 'info',
  safe: 'info',
};

function describe(event: TelemetryEvent): { level: keyof Logger; message: string } {
  switch (event.kind) {
    case 'state':
      return { level: event.state === 'lost' ? 'warn' : 'info', message: `connection ${event.state}` };
    case 'lock': {
      const what = event.lockKind === 'leader' ? `leader seat of ${event.name}` : `lock ${event.name}`;
      return { level: LOCK_LEVELS[event.event] ?? 'debug', message: `${what} ${event.event}` };
    }
    case 'refresh-failed':
      return { level: 'warn', message: `refresh of ${event.what} failed` };
    case 'membership':
      return {
        level: event.event === 'lost' ? 'warn' : 'info',
        message: `membership of ${event.groupId} ${event.event}`,
      };
    case 'leadership':
      return { level: 'info', message: `${event.leading ? 'leading' : 'not leading'} ${event.groupId}` };
    case 'roundtrip':
      return {
        level: 'debug',
        message: `${event.operation} ${event.errorType ? `failed (${event.errorType})` : 'answered'} in ${event.durationMs} ms`,
      };
  }
}

/** One coordinator's reporter: cheap when nobody listens (a `hasSubscribers` check, no logger). */
export class Telemetry {
  constructor(
    private readonly logger: Logger | undefined,
    /** The driver's name, stamped on every event (`redis`, `memory`…). */
    private readonly driver: string,
  ) {}

  /** Whether anyone would hear an event of this kind: hot paths build events only then. */
  wants(kind: TelemetryEvent['kind']): boolean {
    return this.logger !== undefined || channels[kind].hasSubscribers;
  }

  emit(input: TelemetryInput): void {
    const target = channels[input.kind];
    if (!target.hasSubscribers && !this.logger) return;
    // Omit<> of a union member plus the field it left out is that member again; TypeScript cannot see it.
    const event = { ...input, driver: this.driver } as TelemetryEvent;
    if (target.hasSubscribers) target.publish(event);
    if (!this.logger) return;
    const { level, message } = describe(event);
    this.logger[level]?.(event, message);
  }

  /** An error as text fit for an event: redacted, as every SDK message is. */
  static text(error: unknown): string {
    return redact(error instanceof Error ? error.message : String(error));
  }

  /** An error's class name, for `error.type`: low-cardinality, never a message. */
  static errorType(error: unknown): string {
    return error instanceof Error ? error.name : typeof error;
  }
}
