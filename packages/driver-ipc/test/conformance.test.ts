import { connect } from '@tooz/core';
import { ipcCapabilities } from '@tooz/driver-ipc';
import { conformance } from '@tooz/testing/conformance';
import { testNamespace } from './support.js';

// A namespace of its own; after the run, ipcs lists nothing of it (support.ts).
const { namespace, driver } = testNamespace('conformance');

conformance('ipc', {
  capabilities: ipcCapabilities,
  ttl: 1_000,
  connect: (options) => connect(driver, { ...options, namespace }),
});
