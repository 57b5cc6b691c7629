// No vitest import here: fixtures/hold-servers.ts runs outside vitest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The System V segment id a running PostgreSQL noted in postmaster.pid (line 7: "key shmid"). */
export function postgresShmid(dataDir: string): number {
  const line = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[6] ?? '';
  return Number(line.trim().split(/\s+/)[1]);
}

/** Whether the segment still exists, from /proc/sysvipc/shm (ipcs -i exits 0 even for a missing id). */
export function sysvSegmentExists(shmid: number): boolean {
  const table = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1);
  return table.some((row) => Number(row.trim().split(/\s+/)[1]) === shmid);
}
