import type { ObservableInput, SchedulerLike } from 'rxjs';
import type { ConnectionUrl } from '../connect/connection-url.js';
import type { CapabilityDescriptor } from '../descriptor.js';
import type { MemberId } from '../ids.js';
import type { Backoff, RetryPolicy } from '../driver/backoff.js';
import type { GroupBackend, MemberHandle } from './groups.js';
import type { LockBackend, LockHandle } from './locks.js';

/**
 * Raw session signals a driver reports. Core turns them into `state$` and
 * into the lease, membership and leadership state machines.
 * - `suspended`: the backend cannot be reached; the session may still be alive.
 * - `reconnected`: reachable again. If no `lost` came in between, everything
 *   held before is still held; after a `lost`, this is a new session.
 * - `lost`: the session is gone and with it everything it held.
 */
export type SessionSignal = 'suspended' | 'reconnected' | 'lost';

/** What core hands a driver when it opens a session. */
export interface DriverContext {
  /** The coordinator's member id: what the driver stores as holder and member. */
  readonly memberId: MemberId;
  /** Every key, path, table or file lives under it. */
  readonly namespace: string;
  /** The only clock and timer source a driver may use. */
  readonly scheduler: SchedulerLike;
  /** The coordinator's default TTL in ms: the lease or session timeout to ask the backend for. */
  readonly ttl: number;
  /** The user's `retryDelay`/`maxRetryDelay`: every retry loop of a driver follows them. */
  readonly retry: RetryPolicy;
  /** A fresh jittered backoff on the user's retry options (one per retry loop). */
  backoff(): Backoff;
}

/**
 * A session-wide lease (etcd lease, Consul session) that core keeps alive.
 * Core beats every ttl/6, dated from each beat's send; a beat unanswered for
 * that long, or failing, reports `suspended` and another beat goes out beside
 * it (so `beat()` may be called while an earlier one is in flight). `lost` is
 * reported when a beat says the lease is gone, or when the last confirmed
 * beat's send plus `ttl` minus a safety margin has passed (on the monotonic
 * clock); core then calls `renew()` until a new lease exists and reports
 * `reconnected`. A renewal not answered within its own deadline is abandoned
 * and `renew()` called again: a driver must adopt only the newest renewal.
 */
export interface SessionLease {
  /** Milliseconds the backend keeps the lease without a beat. */
  readonly ttl: number;
  /**
   * Scheduler time (`context.scheduler.now()`) at which the request that
   * created the current lease was sent. Core dates the lease's first
   * deadline from it: a grant whose reply was slow has less time left than
   * its TTL. Absent, core uses the time `open()` was called.
   */
  readonly sentAt?: number;
  /** Extends the lease; emits false if the backend no longer knows it. */
  beat(): ObservableInput<boolean>;
  /** Creates a fresh lease after a loss; everything held under the old one is gone. */
  renew(): ObservableInput<void>;
}

/** What a driver reports about its backend (see `DriverSession.diagnose`). */
export interface DriverDiagnosis {
  /** Facts about the server, for people: `{ version: '7.0.15', maxmemoryPolicy: 'noeviction' }`. */
  readonly server?: Readonly<Record<string, string | number | boolean>>;
  /** Each one a sentence saying what is wrong and what it risks. */
  readonly warnings?: readonly string[];
}

/**
 * One open connection to the backend, owned by one coordinator. The handle
 * types are the driver's own: `DriverSession<RedisLockHandle, RedisMember>`.
 */
export interface DriverSession<L extends LockHandle = LockHandle, M extends MemberHandle = MemberHandle> {
  /** Hot; emits only changes (the session starts connected). */
  readonly signals$: ObservableInput<SessionSignal>;
  /** Lock and leader-seat operations; absent when the backend has no locks. */
  readonly locks?: LockBackend<L>;
  /** Group membership operations; absent when the backend has no groups. */
  readonly groups?: GroupBackend<M>;
  /**
   * Optional: called by core when the driver reports `reconnected` after
   * `suspended`, before anyone is told. Emits true when everything held
   * before is provably still held (the same session, the holds' keys still
   * ours), false when it is not (core then reports `lost`, then
   * `reconnected` as a new session). An error keeps the coordinator
   * `suspended` and core asks again with backoff. Drivers whose backend
   * cannot lose holds silently across a reconnect leave it out.
   */
  verify?(): ObservableInput<boolean>;
  /** Present on lease-based backends: core schedules its keep-alive. */
  readonly lease?: SessionLease;
  /**
   * Optional: scheduler time until which the session itself is proven alive
   * (the send of the last answered round trip plus the session timeout,
   * minus a margin), on backends whose liveness is the session (ZooKeeper,
   * a database connection). Core reads it on every synchronous "do you hold
   * it" read and reports `lost` once it has passed, even when the driver's
   * own timer has not run yet (an event-loop stall runs overdue application
   * timers first). Infinity or absent: no such deadline.
   */
  sessionDeadline?(): number;
  /**
   * Optional: what the driver can tell about the backend for `doctor`-style
   * checks: the server's version and settings that matter, and anything
   * misconfigured that it can see (a redis that may evict lock keys, a
   * session timeout the server clamped). Never credentials.
   */
  diagnose?(): ObservableInput<DriverDiagnosis>;
  /** Closes the connection. Core has released everything it held before calling this. */
  close(): ObservableInput<void>;
}

/**
 * A backend, as core sees it. Drivers export a factory returning one of
 * these (`redis({...})`), and a `fromUrl` for `connect('redis://...')`.
 * Every SPI method returns an ObservableInput (a Promise or an Observable);
 * core subscribes once and takes the first value. Observables let the memory
 * driver run in virtual time; real drivers usually return Promises.
 */
export interface Driver<C extends CapabilityDescriptor = CapabilityDescriptor> {
  /** What the backend offers, as data; it also narrows the coordinator's type. */
  readonly capabilities: C;
  /** A URL or description safe to print: no credentials. */
  readonly description: string;
  /**
   * Connects and opens a session; rejects with ConnectionError (retryable or not) when the backend cannot be reached.
   */
  open(context: DriverContext): ObservableInput<DriverSession>;
}

/** What a `@tooz/driver-<name>` package exports for URL-based connects. */
export interface DriverModule {
  /**
   * Builds a driver from a URL and the options that core did not consume
   * (URL query parameters as strings, merged with caller options). Must throw
   * InvalidArgumentError naming the field for anything it does not accept.
   */
  fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver;
}
