/**
 * Heap measurements after a full collection. The bench runs as plain
 * `node bench/dist/index.js`, so `gc` is exposed here at run time; where
 * that is refused the figures say "n/a" rather than a number GC timing made up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  collect = (globalThis as { gc?: () => void }).gc ?? null;
  if (collect) return collect;
  try {
    setFlagsFromString('--expose-gc');
    // A new context reads the flag at creation: its global has `gc`, this one's does not.
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = null;
  }
  return collect;
}

/** Heap in use after two full collections (the second frees what the first's finalisers let go), or undefined. */
export function heapAfterGc(): number | undefined {
  const gc = collector();
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Active handles and requests by type (`Timeout`, `TCPSocketWrap`, `FSReqCallback`…). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** What `after` has more (or fewer) of than `before`, as `Timeout +3, TCPSocketWrap +1`; "none" when equal. */
export function resourceDelta(before: Map<string, number>, after: Map<string, number>): string {
  const types = new Set([...before.keys(), ...after.keys()]);
  const parts: string[] = [];
  for (const type of [...types].sort()) {
    const delta = (after.get(type) ?? 0) - (before.get(type) ?? 0);
    if (delta !== 0) parts.push(`${type} ${delta > 0 ? '+' : ''}${delta}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'none';
}
