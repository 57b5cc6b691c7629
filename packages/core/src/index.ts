export { type Capabilities, decodeCapabilities, encodeCapabilities } from './capabilities.js';
export { connect, type ConnectOptions } from './connect/connect.js';
export { type ConnectionUrl, type HostPort, parseConnectionUrl } from './connect/connection-url.js';
export { driversSupporting, KNOWN_DRIVERS } from './connect/known-drivers.js';
export { registerDriver } from './connect/registry.js';
export { monotonicScheduler } from './connect/scheduler.js';
export {
  type AcquireOptions,
  Coordinator,
  type CoordinatorFor,
  type DriverInfo,
} from './coordinator.js';
export type { CapabilityDescriptor, Characteristic, PrimitiveName } from './descriptor.js';
export * from './errors/index.js';
export type { MembershipEvent } from './groups/events.js';
export { Group, type PartitionerOptions } from './groups/group.js';
export type { Membership } from './groups/membership-run.js';
export { HashRing, Partitioner } from './hashring/index.js';
export { DEFAULT_MAX_ID_BYTES, type GroupId, type LockName, type MemberId, validateId } from './ids.js';
export type { ConnectionState } from './internal/connection-state.js';
export { Leadership } from './leadership/leadership.js';
export type { AsyncLockLease } from './locks/async-lease.js';
export type { LeaseState, LockLease } from './locks/lease.js';
export type { LockOptions } from './locks/lock-options.js';
export { type Lockable, withLock } from './operators/with-lock.js';
export { whileLeader } from './operators/while-leader.js';
export { type CoreOptions, type CoreOptionsInput, duration, parseOptions } from './options/index.js';
export type * from './spi/index.js';
