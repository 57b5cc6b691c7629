/**
 * Reactive coordination for Node.js: group membership, leader election, distributed locks with
 * fencing tokens and partitioning, as RxJS Observables.
 *
 * @packageDocumentation
 * @module @tooz/core
 */
export { type Capabilities, decodeCapabilities, encodeCapabilities } from './capabilities.js';
export { connect, type ConnectOptions } from './connect/connect.js';
export { type ConnectionUrl, type HostPort, parseConnectionUrl } from './connect/connection-url.js';
export { driversSupporting, KNOWN_DRIVERS } from './connect/known-drivers.js';
export { registerDriver } from './connect/registry.js';
export { monotonicScheduler } from './connect/scheduler.js';
export type { AcquireOptions, Coordinator, CoordinatorFor, Diagnosis, DriverInfo } from './coordinator.js';
/** A driver object (`connect(redis({...}))`) and a driver package's module (`registerDriver`); the rest of the SPI is `@tooz/core/driver`. */
export type { Driver, DriverModule } from './spi/driver.js';
export type { LockHolder } from './spi/locks.js';
export type { CallOptions } from './internal/abortable.js';
export { type LockEventName, type Logger, TELEMETRY_CHANNELS, type TelemetryEvent } from './internal/telemetry.js';
export type { CapabilityDescriptor, Characteristic, PrimitiveName } from './descriptor.js';
export * from './errors/index.js';
export type { MembershipEvent } from './groups/events.js';
export { Group, type PartitionerOptions } from './groups/group.js';
export type { GroupWatch } from './groups/group-watch.js';
export type { Membership } from './groups/membership-run.js';
export { HashRing, Partitioner } from './hashring/index.js';
export { DEFAULT_MAX_ID_BYTES, type GroupId, type LockName, type MemberId, validateId } from './ids.js';
export type { ConnectionState } from './internal/connection-state.js';
export type { Stall } from './internal/stall-watchdog.js';
export { Leadership } from './leadership/leadership.js';
export type { AsyncLockLease } from './locks/async-lease.js';
export type { LeaseState, LockLease } from './locks/lease.js';
export type { LockOptions } from './locks/lock-options.js';
export { type Lockable, withLock } from './operators/with-lock.js';
export { whileLeader } from './operators/while-leader.js';
export { type Health, health, health$, healthOf } from './health/health.js';
// zod-based option helpers (`duration`, `parseOptions`) are in @tooz/core/driver only: zod stays out of this entry's types.
export type { CoreOptions, CoreOptionsInput, Duration } from './options/types.js';
