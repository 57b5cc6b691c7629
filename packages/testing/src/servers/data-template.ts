import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trackPath, untrackPath } from './cleanup-registry.js';
import { fixturesTmpDir } from './fixtures-tmpdir.js';
import { runCommand } from './run-command.js';

/**
 * Freshly initialised data directories, built once per machine and copied
 * for each server. initdb and mariadb-install-db spend seconds (MariaDB:
 * nearly a thousand fsyncs) producing the same files every time; a copy takes
 * milliseconds. Templates hold no credentials (those are set on each copy)
 * and are keyed by server version, so an upgrade builds a new one.
 *
 * The cache outlives the test run on purpose; it is the only thing that
 * does. Delete the directory to force a rebuild.
 */
export const TEMPLATE_CACHE_DIR = join(fixturesTmpDir(), 'tooz-fixture-templates');
const READY_MARK = '.template-complete';
const building = new Map<string, Promise<string>>();

/** Templates of an older version or older options: nothing will copy them again. */
async function pruneSiblings(name: string, keep: string): Promise<void> {
  for (const entry of await readdir(TEMPLATE_CACHE_DIR)) {
    if (entry.startsWith(`${name}-`) && entry !== keep) {
      await rm(join(TEMPLATE_CACHE_DIR, entry), { recursive: true, force: true });
    }
  }
}

async function buildOnce(name: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const final = join(TEMPLATE_CACHE_DIR, key);
  if (existsSync(join(final, READY_MARK))) return final;
  await mkdir(TEMPLATE_CACHE_DIR, { recursive: true });
  const scratch = join(TEMPLATE_CACHE_DIR, `.${key}.${randomUUID()}`);
  trackPath(scratch);
  try {
    await mkdir(scratch);
    await build(scratch);
    await writeFile(join(scratch, READY_MARK), new Date().toISOString());
    try {
      await rename(scratch, final);
    } catch {
      // Another process finished first (or left a broken one): keep a complete template.
      if (!existsSync(join(final, READY_MARK))) {
        await rm(final, { recursive: true, force: true });
        await rename(scratch, final);
      }
    }
    await pruneSiblings(name, key);
    return final;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    untrackPath(scratch);
  }
}

/**
 * The template for `name`, built by `build` into an empty directory if not
 * cached yet. `identity` (the server's version output, the build's options)
 * is hashed into the key: change either and a new template is built.
 */
export async function dataTemplate(
  name: string,
  identity: string,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const version = /\d+\.\d+(\.\d+)?/.exec(identity)?.[0] ?? 'unknown';
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 10);
  const key = `${name}-${version}-${digest}`;
  const known = building.get(key);
  if (known) {
    const path = await known.catch(() => undefined);
    // Still there? Someone may have deleted the cache since.
    if (path !== undefined && existsSync(join(path, READY_MARK))) return path;
    if (building.get(key) === known) building.delete(key);
  }
  let pending = building.get(key);
  if (!pending) {
    pending = buildOnce(name, key, build);
    building.set(key, pending);
    // A failed build is retried by the next caller.
    pending.catch(() => building.delete(key));
  }
  return pending;
}

/** Copies a template's contents (with modes and owners) into `dest`. */
export async function copyTemplate(template: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  await runCommand('cp', ['-a', `${template}/.`, dest]);
  await rm(join(dest, READY_MARK), { force: true });
}
