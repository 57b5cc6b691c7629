import { Backoff, type DriverContext } from '@tooz/core/driver';
import { asyncScheduler } from 'rxjs';

/**
 * A full `DriverContext` for tests that open a driver session directly
 * (below the coordinator): core's defaults for whatever is not given.
 */
export function driverContext(given: Partial<DriverContext> & Pick<DriverContext, 'memberId'>): DriverContext {
  const retry = given.retry ?? { delay: 50, maxDelay: 2_000 };
  return {
    namespace: 'tooz',
    scheduler: asyncScheduler,
    ttl: 10_000,
    backoff: () => new Backoff(retry),
    ...given,
    retry,
  };
}
