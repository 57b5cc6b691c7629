// Not public: what @tooz/testing itself and this repository's own tests and
// benchmarks need from the kit's inside (ports, the orphan watchdog, temporary
// directories, wire probes). `@tooz/testing/internal` follows no semver:
// anything here may change or go in any release. Keeping these out of the
// public entries means they can be reworked without a major version.
export { historyResources } from './history/checker.js';
export { compareEntries, formatHistoryEntry, parseHistoryEntry } from './history/entry.js';
export { HISTORY_WORKER_SCRIPT } from './history/harness.js';
export { type CertOptions, generateCerts } from './servers/certs.js';
export { cleanupEverythingNow, liveResources } from './servers/cleanup-registry.js';
export { TEMPLATE_CACHE_DIR } from './servers/data-template.js';
export { fixturesTmpDir } from './servers/fixtures-tmpdir.js';
export { type ForeignCerts, generateForeignCerts } from './servers/foreign-certs.js';
export { claimPort, releasePort } from './servers/free-port.js';
export { zookeeperDigestId, zookeeperListError } from './servers/probes/zookeeper-wire.js';
export { isProcessAlive } from './servers/process-alive.js';
export { TEMP_DIR_PREFIX } from './servers/temp-dir.js';
export { watchdogPid } from './servers/watchdog.js';
