import { connect } from '@tooz/core';
import { fileCapabilities } from '@tooz/driver-file';
import { conformance } from '@tooz/testing/conformance';
import { crashableFile, scratchDirectory } from './support.js';

const { driver, crash } = crashableFile(scratchDirectory('conformance'));

conformance('file', {
  capabilities: fileCapabilities,
  ttl: 1_000,
  connect: (options) => connect(driver, options),
  // The death of the member's process: the kernel drops its locks, its files stay for others to prune.
  faults: { expireSession: crash },
});
