/**
 * Test kit for @tooz, everything that works without vitest: the `memory://` driver, the
 * real-server fixtures, the history checker and its multi-process harness, small helpers.
 *
 * @packageDocumentation
 * @module @tooz/testing
 */
// The main entry: everything that works without vitest (the memory driver,
// the real-server fixtures, the history checker and harness, small helpers).
// What needs vitest has its own entry and is never re-exported here:
// `@tooz/testing/conformance`, `@tooz/testing/marbles`. Kit internals are in
// `@tooz/testing/internal`. The rule is in "Entry points" in the README.
export * from './history/index.js';
export { driverContext } from './driver-context.js';
export { type HeldLock, holdLock, until } from './observe.js';
export { type ProxiedMember, ProxiedMembers } from './proxied-members.js';
export { rejectionOf, stillPending } from './promises.js';
export { type PythonTagged, ToozPeer, type ToozPeerOptions, toPython } from './interop/tooz-peer.js';
export * from './memory/index.js';
export * from './servers/index.js';
export { waitUntil } from './wait-until.js';
