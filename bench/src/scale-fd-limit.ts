/**
 * How many locks the file driver can hold in this process: each held lock
 * keeps two descriptors open (its lock file and its fence file), and the
 * process may open no more than its RLIMIT_NOFILE.
 */
import { readFileSync } from 'node:fs';

const PER_LOCK = 2;
/** Descriptors left for everything else (node, the fixtures, the bench's own files). */
const SPARE = 1_000;

/** The soft limit on open files, from /proc (Linux); undefined where unreadable. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : undefined;
  } catch {
    return undefined;
  }
}

/** `wanted`, or the most (in whole thousands) the descriptor limit allows, with the reason when fewer. */
export function fileLockCount(wanted: number): { count: number; note?: string } {
  const limit = openFileLimit();
  if (limit === undefined) return { count: wanted };
  const fits = Math.floor((limit - SPARE) / PER_LOCK / 1_000) * 1_000;
  if (fits >= wanted) return { count: wanted };
  return {
    count: Math.max(1_000, fits),
    note: `${wanted.toLocaleString('en-US')} locks need ${(wanted * PER_LOCK).toLocaleString('en-US')} descriptors (2 per lock); the limit here is ${limit.toLocaleString('en-US')} (ulimit -n)`,
  };
}
