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

// src/ and dist/ are both one level below the package root, beside build/ and
// prebuilds/. A build of its own comes first, as with node-gyp-build: the
// install script builds only where the prebuilt binary does not load (another
// platform, a glibc older than 2.34, musl), and then that build must win.
const ADDONS = ['../build/Release/tooz_file.node', `../prebuilds/${process.platform}-${process.arch}/tooz_file.node`];

const MISSING =
  '@tooz/driver-file: its native addon did not load: there is no build of its own (build/Release/tooz_file.node) ' +
  `and no prebuilt one that loads here (they are for linux-x64 and linux-arm64 with glibc 2.34 or later; this is ${process.platform}-${process.arch}). ` +
  "Build it from your application's directory: with npm, `npm rebuild @tooz/driver-file`; with pnpm, which skips " +
  'the build scripts of dependencies until they are approved, `pnpm approve-builds` (approve @tooz/driver-file), then ' +
  '`pnpm rebuild @tooz/driver-file`. Building needs python3, make and a C compiler (Debian/Ubuntu: apt-get install python3 make gcc).';

let addon: NativeAddon | undefined;
let failure: ConnectionError | undefined;

/** Loads the addon once; a missing build is a clear, final error saying what to run. */
export function native(): NativeAddon {
  if (addon) return addon;
  if (failure) throw failure;
  const require = createRequire(import.meta.url);
  const causes: unknown[] = [];
  for (const path of ADDONS) {
    try {
      addon = require(path) as NativeAddon;
      return addon;
    } catch (cause) {
      causes.push(cause);
    }
  }
  // "Not found" says nothing; a binary that is there and refuses to load (a missing glibc symbol) says why.
  const telling = causes.find((cause) => (cause as { code?: unknown }).code !== 'MODULE_NOT_FOUND') ?? causes.at(-1);
  const reason = telling instanceof Error ? ` (${telling.message.split('\n')[0]})` : '';
  failure = new ConnectionError(`${MISSING}${reason}`, { cause: telling, retryable: false });
  throw failure;
}
