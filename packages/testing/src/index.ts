export * from './conformance/index.js';
export * from './history/index.js';
export { rejectionOf, stillPending } from './promises.js';
export { type ToozLockTarget, toozLockConformance } from './interop/tooz-lock-conformance.js';
export { type PythonTagged, ToozPeer, type ToozPeerOptions, toPython } from './interop/tooz-peer.js';
export { createTestScheduler, StallableClock, type VirtualCluster, virtualCluster } from './marbles.js';
export * from './memory/index.js';
export * from './servers/index.js';
export { waitUntil } from './wait-until.js';
