/**
 * OpenTelemetry metrics and spans for tooz: `instrumentTooz()`. A separate
 * entry, so that `@opentelemetry/api` (an optional peer dependency) is
 * loaded only by applications that import it.
 *
 * @packageDocumentation
 * @module @tooz/core/opentelemetry
 */
export {
  INSTRUMENTATION_SCOPE,
  instrumentTooz,
  type ToozInstrumentation,
  type ToozInstrumentationOptions,
} from './instrument.js';
export { TOOZ_ATTRIBUTES, TOOZ_METRICS, TOOZ_SPANS } from './names.js';
