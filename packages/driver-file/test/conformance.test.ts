import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Driver } from '@tooz/core';
import { type FileSession, file, fileCapabilities } from '@tooz/driver-file';
import { conformance } from '@tooz/testing';
import { from, tap } from 'rxjs';
import { afterAll } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'tooz-file-conformance-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Each coordinator's session, so a fault can end it as the death of its process would. */
const sessions = new Map<string, FileSession>();
const base = file({ directory });
const driver: Driver<typeof fileCapabilities> = {
  ...base,
  open: (context) => from(base.open(context)).pipe(tap((s) => sessions.set(context.memberId, s as FileSession))),
};

conformance('file', {
  capabilities: fileCapabilities,
  ttl: 1_000,
  connect: (options) => connect(driver, options),
  faults: { expireSession: (memberId) => sessions.get(memberId)?.simulateCrash() },
});
