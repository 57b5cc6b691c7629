import type { Driver } from '@tooz/core';
import { postgresCapabilities } from './capabilities.js';
import { describeTarget } from './client-config.js';
import type { PostgresSettings } from './options.js';
import { PostgresSession } from './session.js';

/** The driver object core connects with: nothing happens until `open`. */
export function createDriver(settings: PostgresSettings): Driver<typeof postgresCapabilities> {
  return {
    capabilities: postgresCapabilities,
    description: describeTarget(settings),
    open: (context) => PostgresSession.open(context, settings),
  };
}
