/**
 * `@tooz/core/driver`: what a driver package builds on. Applications import
 * `@tooz/core`; drivers import this (and only this) from core.
 *
 * @packageDocumentation
 * @module @tooz/core/driver
 */
export type {
  Driver,
  DriverContext,
  DriverDiagnosis,
  DriverModule,
  DriverSession,
  EncodedCapabilities,
  GroupBackend,
  GroupChange,
  LockBackend,
  LockChange,
  LockHandle,
  LockHolder,
  LockKey,
  LockOptions,
  MemberHandle,
  MembershipOptions,
  SessionLease,
  SessionSignal,
  TryAcquireResult,
} from '../spi/index.js';
export type { HoldLoss } from '../spi/loss.js';
export type { CapabilityDescriptor, Characteristic, PrimitiveName } from '../descriptor.js';
export type { ConnectionUrl, HostPort } from '../connect/connection-url.js';
export type { GroupId, LockName, MemberId } from '../ids.js';
export * from '../errors/index.js';
export { decodeCapabilities, encodeCapabilities } from '../capabilities.js';
export { duration } from '../options/duration.js';
export { parseOptions } from '../options/parse.js';
export { Backoff, type RetryPolicy } from './backoff.js';
export { deadlinePromise, sleep, withDeadline } from './deadline.js';
export { HoldRegistry } from './hold-registry.js';
export { KeyCounts } from './key-counts.js';
export { SweptMap } from './swept-map.js';
export { LinkedEntry, LinkedSet } from './linked-set.js';
export { type LossListener, LossSignal } from './loss-signal.js';
export { flag, hostList, parseDriverOptions, pem, port, renameAliases, secret } from './options.js';
export { PeriodicTask } from './periodic.js';
export type { Holds, Narrows, SameShape } from './same-shape.js';
export { type PollOptions, poll } from './poll.js';
export { SharedWatches } from './shared-watch.js';
export { parseConnectionUrl } from '../connect/connection-url.js';
