import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileCapabilities } from '@tooz/driver-file';
import { securityConformance } from '@tooz/testing/conformance';
import { afterAll } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'tooz-file-security-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

securityConformance('file', {
  capabilities: fileCapabilities,
  credentials: {
    notApplicable: "the directory's file permissions are the access control: there is no secret to send or to leak",
  },
  tls: { notApplicable: 'a local directory: no network, nothing to encrypt' },
  url: `file://${directory}`,
});
