import { createRequire } from 'node:module';
import { ConnectionError } from '@tooz/core/driver';

/** The native addon (native/tooz_file.c): OFD fcntl locks and inotify with close events. */
export interface NativeAddon {
  /** F_OFD_SETLK. type: 0 unlock, 1 shared, 2 exclusive. False when someone else holds the range. */
  tryLock(fd: number, type: 0 | 1 | 2, start: number, length: number): boolean;
  /** F_OFD_GETLK for an exclusive lock: 0 free, >0 a POSIX holder's pid, -1 an OFD holder, -2 a shared OFD holder. */
  probe(fd: number, start: number, length: number): number;
  /** Maps the fence file's first page (false where that cannot be done: acquire() then uses pread/pwrite). */
  mapFence(fenceFd: number): boolean;
  /** Before the fence descriptor is closed: its number may be reused. */
  unmapFence(fenceFd: number): void;
  /**
   * Takes byte 0 (and byte 1 while the record is written, with `publish`), bumps
   * the fence counter and writes the holder record. Null when held elsewhere.
   */
  acquire(lockFd: number, fenceFd: number, memberId: Buffer, publish: boolean): bigint | null;
  /** Unlocks; if anyone is registered on the fence file, writes a byte into the lock file to wake them. */
  release(lockFd: number, fenceFd: number): boolean;
  watchStart(deliver: (events: Array<number | string | null>) => void): void;
  watchAdd(path: string, mask: number): number;
  watchRemove(wd: number): void;
  watchRef(keepAlive: boolean): void;
}

const ADDON = '../build/Release/tooz_file.node';

let addon: NativeAddon | undefined;
let failure: ConnectionError | undefined;

/** Loads the addon once; a missing build is a clear, final error naming what to install. */
export function native(): NativeAddon {
  if (addon) return addon;
  if (failure) throw failure;
  try {
    // src/ and dist/ are both one level below the package root, beside build/.
    addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    return addon;
  } catch (cause) {
    failure = new ConnectionError(
      '@tooz/driver-file: its native addon (build/Release/tooz_file.node) is missing or does not load. ' +
        'It is built at install by node-gyp, which needs python3, make and a C compiler ' +
        '(Debian/Ubuntu: apt-get install python3 make gcc); then run `npm run build:native` in the package directory.',
      { cause, retryable: false },
    );
    throw failure;
  }
}
