import { firstValueFrom } from 'rxjs';
import { type Coordinator, type CoordinatorFor, CoordinatorImpl } from '../coordinator.js';
import type { CapabilityDescriptor } from '../descriptor.js';
import { Backoff } from '../driver/backoff.js';
import { sleep } from '../driver/deadline.js';
import { InvalidArgumentError, isRetryable } from '../errors/errors.js';
import { abortable } from '../internal/abortable.js';
import { registerSecret } from '../errors/redact.js';
import { validateId } from '../ids.js';
import { call } from '../internal/call.js';
import type { Timings } from '../internal/context.js';
import { CORE_OPTION_KEYS, coreOptionsSchema, defaultMemberId, parseOptions, TOOZ_ALIASES } from '../options/index.js';
// The types from their zod-free module, so connect's .d.ts imports no zod.
import type { CoreOptions, CoreOptionsInput } from '../options/types.js';
import type { Driver, DriverContext, DriverSession } from '../spi/driver.js';
import { parseConnectionUrl } from './connection-url.js';
import { loadDriverModule } from './registry.js';
import { monotonicScheduler } from './scheduler.js';

/** Core options, plus (for URL connects) options of the driver the URL names. */
export type ConnectOptions = CoreOptionsInput & {
  /** Aborts a connect still trying: it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
} & Readonly<Record<string, unknown>>;

function camelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Splits URL query parameters into core options and the driver's; the last repeated value wins, as in tooz. */
function splitParams(params: URLSearchParams): { core: Record<string, string>; driver: Record<string, string> } {
  const core: Record<string, string> = {};
  const driver: Record<string, string> = {};
  for (const [rawKey, value] of params) {
    if (value === '') continue;
    const key = TOOZ_ALIASES[rawKey] ?? camelCase(rawKey);
    if (CORE_OPTION_KEYS.has(key)) core[key] = value;
    else driver[rawKey] = value;
  }
  return { core, driver };
}

function splitOptions(options: ConnectOptions): { core: Record<string, unknown>; driver: Record<string, unknown> } {
  const core: Record<string, unknown> = {};
  const driver: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (CORE_OPTION_KEYS.has(key)) core[key] = value;
    else driver[key] = value;
  }
  return { core, driver };
}

/** Core re-reads a poll backend this often unless the driver or the caller says otherwise. */
const DEFAULT_POLL_INTERVAL = 1_000;

function timingsOf(options: CoreOptions, capabilities: CapabilityDescriptor): Timings {
  const leaderTtl = options.leaderTtl ?? options.ttl;
  const polled = capabilities.notifications === 'poll';
  return {
    lockTtl: options.lockTtl ?? options.ttl,
    membershipTtl: options.membershipTtl ?? options.ttl,
    leaderTtl,
    retryDelay: options.retryDelay,
    maxRetryDelay: Math.max(options.retryDelay, options.maxRetryDelay),
    standDownGrace: options.standDownGrace ?? Math.min(leaderTtl / 2, 1_000),
    pollInterval: polled
      ? (options.pollInterval ?? capabilities.pollInterval ?? DEFAULT_POLL_INTERVAL)
      : Number.POSITIVE_INFINITY,
  };
}

/**
 * Connects to a backend. Given a URL, the scheme picks the driver package
 * (`etcd://` loads `@tooz/driver-etcd`); given a driver object, the returned
 * coordinator's type lacks what the driver cannot do.
 *
 * @example
 * const coordinator = await connect('etcd://127.0.0.1:2379?ttl=10', { memberId: 'api-7', namespace: 'billing' });
 */
export async function connect<const C extends CapabilityDescriptor>(
  driver: Driver<C>,
  options?: CoreOptionsInput & { readonly signal?: AbortSignal },
): Promise<CoordinatorFor<C>>;
export async function connect(url: string, options?: ConnectOptions): Promise<Coordinator>;
export async function connect(target: string | Driver, options: ConnectOptions = {}): Promise<Coordinator> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'string' && /pass|secret|token|credential/i.test(key)) registerSecret(value);
  }
  const { signal, ...rest } = options as ConnectOptions & { signal?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
  }
  if (signal?.aborted) throw signal.reason;
  const given = splitOptions(rest);
  let driver: Driver;
  let fromUrl: Record<string, unknown> = {};
  if (typeof target === 'string') {
    const url = parseConnectionUrl(target);
    const params = splitParams(url.params);
    fromUrl = parseOptions(coreOptionsSchema('s').partial(), params.core, 'url');
    const module = await loadDriverModule(url.scheme);
    driver = module.fromUrl(url, { ...params.driver, ...given.driver });
  } else if (target && typeof target === 'object' && typeof target.open === 'function') {
    driver = target;
    const unknown = Object.keys(given.driver)[0];
    if (unknown !== undefined) throw new InvalidArgumentError(`options.${unknown}`, 'is not a known option');
  } else {
    throw new InvalidArgumentError('url', 'must be a URL string or a driver object');
  }
  const core = parseOptions(coreOptionsSchema('ms'), { ...stripDefaults(fromUrl), ...given.core });
  const memberId = validateId('options.memberId', core.memberId ?? defaultMemberId(), driver.capabilities.maxIdBytes);
  const scheduler = core.scheduler ?? monotonicScheduler;
  // A lease granted inside open() is dated from here at the latest, when the driver cannot say its send.
  const openedAt = scheduler.now();
  const retry = { delay: core.retryDelay, maxDelay: Math.max(core.retryDelay, core.maxRetryDelay) };
  const context = {
    memberId,
    namespace: core.namespace,
    scheduler,
    ttl: core.ttl,
    retry,
    backoff: () => new Backoff(retry),
  };
  const session = await openWithin(driver, context, core.connectWithin, signal);
  return new CoordinatorImpl(driver, session, {
    memberId,
    scheduler,
    timings: timingsOf(core, driver.capabilities),
    logger: core.logger,
    openedAt,
  });
}

/**
 * Opens the driver's session, trying again while the failure is retryable
 * and `within` ms (from the first attempt) allow, until `signal` aborts. A
 * session that opens after the abort is closed at once.
 */
async function openWithin(
  driver: Driver,
  context: DriverContext,
  within: number,
  signal: AbortSignal | undefined,
): Promise<DriverSession> {
  const { scheduler } = context;
  const deadline = scheduler.now() + within;
  const backoff = context.backoff();
  for (;;) {
    const opening = firstValueFrom(call(() => driver.open(context)));
    if (signal) {
      opening.then(
        (session) => (signal.aborted ? firstValueFrom(call(() => session.close())).catch(() => {}) : undefined),
        () => {},
      );
    }
    try {
      return await abortable(signal, () => opening);
    } catch (error) {
      const delay = backoff.next();
      if (signal?.aborted || !isRetryable(error) || scheduler.now() + delay > deadline) throw error;
      await abortable(signal, () => sleep(delay, scheduler));
    }
  }
}

/** Drops keys a partial schema filled with `undefined`, so they do not mask caller options. */
function stripDefaults(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
