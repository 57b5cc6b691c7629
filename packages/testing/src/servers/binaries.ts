import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Where the Debian packages put each server. A missing binary is an error,
 * never a skip: a test that needs a server must fail loudly without it.
 */
const SETUP_HINT = 'run scripts/setup-servers.sh to install the servers the tests need';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a command on PATH or in the given extra directories (sbin is often not on a user's PATH). */
export function findBinary(name: string, extraDirs: readonly string[] = []): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin', ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, name);
    if (executable(path)) return path;
  }
  throw new Error(`${name} not found (looked in ${dirs.filter(Boolean).join(', ')}): ${SETUP_HINT}`);
}

/** /usr/lib/postgresql/<newest version>/bin: the version-specific tools are not on PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(root).filter((v) => executable(join(root, v, 'bin', 'postgres')));
  } catch {
    // No postgresql at all.
  }
  versions.sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error(`PostgreSQL server binaries not found under ${root}: ${SETUP_HINT}`);
  return join(root, newest, 'bin');
}

/** The ZooKeeper server jar; its manifest's Class-Path names its dependencies. */
export function zookeeperClasspath(): string {
  const jar = '/usr/share/java/zookeeper.jar';
  try {
    accessSync(jar, constants.R_OK);
  } catch {
    throw new Error(`${jar} not found: ${SETUP_HINT}`);
  }
  // slf4j-simple gives the server a logger, so its log file says why it failed.
  const logger = '/usr/share/java/slf4j-simple.jar';
  try {
    accessSync(logger, constants.R_OK);
    return `${jar}:${logger}`;
  } catch {
    return jar;
  }
}
