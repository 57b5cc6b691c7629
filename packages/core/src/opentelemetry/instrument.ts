import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { diag, type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { TELEMETRY_CHANNELS, type TelemetryEvent } from '../internal/telemetry.js';
import { ToozMetrics } from './metrics.js';
import { ToozSpans } from './spans.js';

/** The instrumentation scope that tooz's meters and tracers carry. */
export const INSTRUMENTATION_SCOPE = '@tooz/core';

/** Where the instrumentation gets its meter and tracer. */
export interface ToozInstrumentationOptions {
  /** Default: the global one (`metrics.getMeterProvider()`), set by the OpenTelemetry SDK. */
  readonly meterProvider?: MeterProvider;
  /** Default: the global one (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider;
  /**
   * How a lock's name appears in metric attributes; default: as it is.
   * Every distinct value is a time series of its own, so names carrying ids
   * (`invoice-42`) are best mapped to their family (`invoice`), or left out
   * by returning `undefined`. Spans always carry the full name.
   */
  readonly lockName?: (name: string) => string | undefined;
}

/** A running instrumentation: `stop()` (or `using`) detaches it. */
export interface ToozInstrumentation extends Disposable {
  /** Stops listening and ends the spans still open. */
  stop(): void;
}

/**
 * Records tooz's metrics and spans with OpenTelemetry, from the events every
 * coordinator of this process publishes on `node:diagnostics_channel`. It
 * covers coordinators connected before and after the call; nothing is
 * measured while it is not running.
 *
 * @example
 * ```ts
 * import { instrumentTooz } from '@tooz/core/opentelemetry';
 * const instrumentation = instrumentTooz(); // after the OpenTelemetry SDK has started
 * // ...
 * instrumentation.stop();
 * ```
 */
export function instrumentTooz(options: ToozInstrumentationOptions = {}): ToozInstrumentation {
  const meterProvider = options.meterProvider ?? metrics.getMeterProvider();
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const measured = new ToozMetrics(meterProvider.getMeter(INSTRUMENTATION_SCOPE), options.lockName ?? ((name) => name));
  const spans = new ToozSpans(tracerProvider.getTracer(INSTRUMENTATION_SCOPE));
  const listener = (message: unknown) => {
    // Only core publishes on these channels, always a TelemetryEvent.
    const event = message as TelemetryEvent;
    try {
      measured.record(event);
      spans.record(event);
    } catch (error) {
      // diagnostics_channel rethrows a subscriber's error as an uncaught exception: telemetry must never do that.
      diag.error('tooz instrumentation failed to record an event', error);
    }
  };
  const names = Object.values(TELEMETRY_CHANNELS);
  for (const name of names) subscribe(name, listener);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const name of names) unsubscribe(name, listener);
    spans.stop();
  };
  return { stop, [Symbol.dispose]: stop };
}
