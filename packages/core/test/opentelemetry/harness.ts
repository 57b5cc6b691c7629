import { instrumentTooz, type ToozInstrumentationOptions } from '@tooz/core/opentelemetry';
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** One data point as the tests read it: a sum's value, or a histogram's count and sum. */
export interface Point {
  readonly attributes: Attributes;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
}

export interface Harness {
  /** Every data point of a metric, collected now (cumulative since the start). */
  points(metric: string): Promise<Point[]>;
  /** The unit each metric was created with. */
  units(): Promise<Map<string, string>>;
  spans(): ReadableSpan[];
  /** Stops the instrumentation only: what was exported stays readable. */
  detach(): void;
  stop(): Promise<void>;
}

/** `instrumentTooz` wired to the SDK's in-memory exporters; nothing global is touched. */
export function otelHarness(
  options: Omit<ToozInstrumentationOptions, 'meterProvider' | 'tracerProvider'> = {},
): Harness {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when flushed: the interval is there because the reader needs one.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const instrumentation = instrumentTooz({ ...options, meterProvider, tracerProvider });

  const collect = async () => {
    metricExporter.reset();
    await reader.forceFlush();
    return metricExporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  };
  return {
    async points(metric) {
      const found = (await collect()).filter((data) => data.descriptor.name === metric);
      return found.flatMap((data) =>
        data.dataPoints.map((point): Point => {
          if (data.dataPointType === DataPointType.HISTOGRAM) {
            const histogram = point.value as { count: number; sum?: number };
            return { attributes: point.attributes, count: histogram.count, sum: histogram.sum ?? 0 };
          }
          return { attributes: point.attributes, value: point.value as number };
        }),
      );
    },
    async units() {
      return new Map((await collect()).map((data) => [data.descriptor.name, data.descriptor.unit]));
    },
    spans: () => spanExporter.getFinishedSpans(),
    detach: () => instrumentation.stop(),
    async stop() {
      instrumentation.stop();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Seconds compared at the precision durations are recorded with (milliseconds), without float noise. */
export const ms = (seconds: number | undefined) => Math.round((seconds ?? Number.NaN) * 1000);
