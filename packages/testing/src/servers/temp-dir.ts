import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { trackPath, untrackPath } from './cleanup-registry.js';
import { fixturesTmpDir } from './fixtures-tmpdir.js';

/** Prefix of every fixture directory, so a leak is easy to spot in /tmp. */
export const TEMP_DIR_PREFIX = 'tooz-server-';

/** A fresh private directory, removed at exit (or by the watchdog) unless removed before. */
export async function makeTempDir(label: string): Promise<string> {
  const safe = label.replace(/[^a-z0-9-]/gi, '-');
  const dir = await mkdtemp(join(fixturesTmpDir(), `${TEMP_DIR_PREFIX}${safe}-`));
  trackPath(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  untrackPath(dir);
}
