export type {
  Driver,
  DriverContext,
  DriverDiagnosis,
  DriverModule,
  DriverSession,
  SessionLease,
  SessionSignal,
} from './driver.js';
export type {
  EncodedCapabilities,
  GroupBackend,
  GroupChange,
  MemberHandle,
  MembershipOptions,
} from './groups.js';
export type {
  LockBackend,
  LockChange,
  LockHandle,
  LockHolder,
  LockKey,
  LockOptions,
  TryAcquireResult,
} from './locks.js';
