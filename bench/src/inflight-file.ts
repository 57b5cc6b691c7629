/**
 * Raw baseline for many locks in flight on the file driver: the driver's own
 * system calls through its addon (take the lock and bump the fence, then
 * release), one lock file and fence file per worker. They are synchronous:
 * the workers only interleave at the await each cycle ends with, as the
 * SDK's do.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backends.js';
import { type Loop, throughput } from './loops.js';

interface Addon {
  mapFence(fenceFd: number): boolean;
  acquire(lockFd: number, fenceFd: number, memberId: Buffer, publish: boolean): bigint | null;
  release(lockFd: number, fenceFd: number): boolean;
}

/** The driver's addon, beside its compiled entry point (not a public export). */
function driverAddon(): Addon {
  const entry = fileURLToPath(import.meta.resolve('@tooz/driver-file'));
  return createRequire(entry)(join(dirname(dirname(entry)), 'build', 'Release', 'tooz_file.node')) as Addon;
}

export async function rawFile(backend: Backend, workers: number): Promise<Loop> {
  const addon = driverAddon();
  const id = Buffer.from('raw');
  const open = (name: string) => openSync(join(backend.directory, name), constants.O_RDWR | constants.O_CREAT, 0o666);
  const files = Array.from({ length: workers }, (_, worker) => {
    const lockFd = open(`raw-inflight-${worker}`);
    const fenceFd = open(`.raw-inflight-${worker}.fence`);
    addon.mapFence(fenceFd);
    return { lockFd, fenceFd };
  });
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const { lockFd, fenceFd } = files[worker] as (typeof files)[number];
        if (addon.acquire(lockFd, fenceFd, id, false) === null) throw new Error('raw acquire refused');
        addon.release(lockFd, fenceFd);
      }),
    close: async () => {
      for (const { lockFd, fenceFd } of files) {
        closeSync(lockFd);
        closeSync(fenceFd);
      }
    },
  };
}
