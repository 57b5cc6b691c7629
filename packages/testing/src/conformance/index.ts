/**
 * The conformance suite every driver runs: registrars that call vitest's `describe`/`it`, so this
 * entry needs vitest.
 *
 * @packageDocumentation
 * @module @tooz/testing/conformance
 */
// The `@tooz/testing/conformance` entry: every registrar a driver's test file
// calls (they call vitest's describe/it, so vitest is loaded by this entry and
// never by the main one). See "Entry points" in packages/testing/README.md.
import { describe } from 'vitest';
import { badInputConformance } from './bad-input.js';
import { groupConformance } from './groups.js';
import type { ConformanceTarget } from './harness.js';
import { leadershipConformance } from './leadership.js';
import { lockConformance } from './locks.js';
import { partitionerConformance } from './partitioner.js';

export { badInputConformance } from './bad-input.js';
export {
  type HistoryFaultServer,
  type HistoryFaultTarget,
  historyFaultTests,
  type StoppedHolder,
} from '../history/fault-tests.js';
export { type ToozLockTarget, toozLockConformance } from '../interop/tooz-lock-conformance.js';
export { type KilledHolderTarget, killedHolderTests } from './killed-holder.js';
export { groupConformance } from './groups.js';
export type { ConformanceFaults, ConformanceTarget } from './harness.js';
export { leadershipConformance } from './leadership.js';
export { lockConformance } from './locks.js';
export { partitionerConformance } from './partitioner.js';
export {
  type CredentialedServer,
  type CredentialsFixture,
  everythingShown,
  type NotApplicable,
  type SecurityTarget,
  securityConformance,
  type TlsFixture,
  type TlsServer,
} from './security.js';

/**
 * Every scenario a driver must pass, chosen by its capability descriptor.
 *
 * @example
 * conformance('redis', { capabilities: redisCapabilities, ttl: 1_000, connect: (o) => connect(url, o) });
 */
export function conformance(name: string, target: ConformanceTarget): void {
  describe(`${name} conformance`, () => {
    lockConformance(target);
    groupConformance(target);
    leadershipConformance(target);
    partitionerConformance(target);
    badInputConformance(target);
  });
}
