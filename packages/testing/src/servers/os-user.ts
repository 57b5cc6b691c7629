import { execFileSync } from 'node:child_process';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The account a server must run as. PostgreSQL refuses to run as root, so
 * when the tests run as root it runs as the `postgres` account the Debian
 * package created; otherwise everything runs as the current user.
 */
export function serviceUser(name: string): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(`running as root, and no '${name}' account to run the server as: run scripts/setup-servers.sh`);
  }
}

/** Gives a whole tree to the service user (no-op when there is none). */
export async function chownTree(path: string, user: OsUser | undefined): Promise<void> {
  if (!user) return;
  await chown(path, user.uid, user.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}
