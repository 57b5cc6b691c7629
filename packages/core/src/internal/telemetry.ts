import { channel } from 'node:diagnostics_channel';
import { redact } from '../errors/redact.js';

/**
 * A pino-like logger (pino, bunyan, winston's child loggers, `console`
 * fit): each method takes the event's fields, then a message. Absent
 * methods are skipped; without a logger the SDK is silent.
 */
export interface Logger {
  debug?(fields: object, message: string): void;
  info?(fields: object, message: string): void;
  warn?(fields: object, message: string): void;
  error?(fields: object, message: string): void;
}

/** What the SDK reports, on `node:diagnostics_channel` and to the logger. Never a credential. */
export type TelemetryEvent =
  | { readonly kind: 'state'; readonly memberId: string; readonly state: string }
  | {
      readonly kind: 'lock';
      readonly memberId: string;
      readonly name: string;
      readonly event: 'held' | 'released' | 'lost';
      readonly token?: string;
      readonly reason?: string;
    }
  | { readonly kind: 'refresh-failed'; readonly memberId: string; readonly what: string; readonly error: string }
  | {
      readonly kind: 'membership';
      readonly memberId: string;
      readonly groupId: string;
      readonly event: 'joined' | 'left' | 'lost';
      readonly reason?: string;
    }
  | { readonly kind: 'leadership'; readonly memberId: string; readonly groupId: string; readonly leading: boolean };

/** The channel of each kind of event: `diagnostics_channel.subscribe('tooz:lock', ...)`. */
export const TELEMETRY_CHANNELS = {
  state: 'tooz:state',
  lock: 'tooz:lock',
  'refresh-failed': 'tooz:refresh-failed',
  membership: 'tooz:membership',
  leadership: 'tooz:leadership',
} as const satisfies Record<TelemetryEvent['kind'], string>;

const channels = Object.fromEntries(
  Object.entries(TELEMETRY_CHANNELS).map(([kind, name]) => [kind, channel(name)]),
) as Record<TelemetryEvent['kind'], ReturnType<typeof channel>>;

function describe(event: TelemetryEvent): { level: keyof Logger; message: string } {
  switch (event.kind) {
    case 'state':
      return { level: event.state === 'lost' ? 'warn' : 'info', message: `connection ${event.state}` };
    case 'lock':
      return { level: event.event === 'lost' ? 'warn' : 'debug', message: `lock ${event.name} ${event.event}` };
    case 'refresh-failed':
      return { level: 'warn', message: `refresh of ${event.what} failed` };
    case 'membership':
      return {
        level: event.event === 'lost' ? 'warn' : 'info',
        message: `membership of ${event.groupId} ${event.event}`,
      };
    case 'leadership':
      return { level: 'info', message: `${event.leading ? 'leading' : 'not leading'} ${event.groupId}` };
  }
}

/** One coordinator's reporter: cheap when nobody listens (a `hasSubscribers` check, no logger). */
export class Telemetry {
  constructor(private readonly logger: Logger | undefined) {}

  /** Whether anyone would hear an event of this kind: hot paths build events only then. */
  wants(kind: TelemetryEvent['kind']): boolean {
    return this.logger !== undefined || channels[kind].hasSubscribers;
  }

  emit(event: TelemetryEvent): void {
    const target = channels[event.kind];
    if (target.hasSubscribers) target.publish(event);
    if (!this.logger) return;
    const { level, message } = describe(event);
    this.logger[level]?.(event, message);
  }

  /** An error as text fit for an event: redacted, as every SDK message is. */
  static text(error: unknown): string {
    return redact(error instanceof Error ? error.message : String(error));
  }
}
