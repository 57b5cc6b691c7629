import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { TelemetryEvent } from '../internal/telemetry.js';
import { TOOZ_ATTRIBUTES as A, TOOZ_SPANS as S } from './names.js';

type LockEvent = Extract<TelemetryEvent, { kind: 'lock' }>;

/**
 * One span per acquire and per release of a lock, keyed by the run id its
 * events carry. Spans start inside the event, which core publishes
 * synchronously from the caller's `subscribe()` or `unsubscribe()`, so they
 * are children of whatever span is active there. Leader seats get no spans:
 * a standby candidate's wait lasts as long as someone else leads.
 */
export class ToozSpans {
  private readonly acquiring = new Map<number, Span>();
  private readonly releasing = new Map<number, Span>();

  constructor(private readonly tracer: Tracer) {}

  record(event: TelemetryEvent): void {
    if (event.kind !== 'lock' || event.lockKind !== 'lock') return;
    switch (event.event) {
      case 'acquiring':
        return this.start(this.acquiring, S.acquire, event);
      case 'held':
        return this.end(this.acquiring, event, 'acquired', (span) => {
          if (event.token !== undefined) span.setAttribute(A.fencingToken, event.token);
        });
      case 'timeout':
        return this.end(this.acquiring, event, 'timeout', (span) =>
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'timed out waiting for the lock' }),
        );
      case 'failed':
        return this.end(this.acquiring, event, 'error', (span) => {
          if (event.errorType !== undefined) span.setAttribute(A.errorType, event.errorType);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            ...(event.error === undefined ? {} : { message: event.error }),
          });
        });
      case 'cancelled':
        return this.end(this.acquiring, event, 'cancelled');
      case 'releasing':
        return this.start(this.releasing, S.release, event);
      case 'released':
        return this.end(this.releasing, event, 'released');
      default:
        return;
    }
  }

  /** Ends what is still open (the instrumentation is being stopped). */
  stop(): void {
    for (const span of [...this.acquiring.values(), ...this.releasing.values()]) span.end();
    this.acquiring.clear();
    this.releasing.clear();
  }

  private start(open: Map<number, Span>, name: string, event: LockEvent): void {
    const attributes: Attributes = {
      [A.driver]: event.driver,
      [A.lockName]: event.name,
      [A.lockKind]: event.lockKind,
      [A.memberId]: event.memberId,
    };
    open.get(event.run)?.end();
    open.set(event.run, this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }));
  }

  private end(open: Map<number, Span>, event: LockEvent, outcome: string, finish?: (span: Span) => void): void {
    const span = open.get(event.run);
    // Begun before the instrumentation started: nothing to end.
    if (!span) return;
    open.delete(event.run);
    span.setAttribute(A.lockOutcome, outcome);
    finish?.(span);
    span.end();
  }
}
