import { createRequire } from 'node:module';
import { ConnectionError } from '@tooz/core/driver';

/** The namespace's shared table, attached (an opaque handle). */
export type Table = { readonly __brand: 'tooz_ipc_table' };
/** A wait running on its own thread (an opaque handle). */
export type Wait = { readonly __brand: 'tooz_ipc_wait' };
/** A held semaphore's id and the fencing token of the hold. */
export type Grant = [semid: number, token: bigint];

/** What a group call answers (native/groups.c). */
export const GroupCode = {
  Ok: 0,
  Exists: 1,
  NotFound: 2,
  NotEmpty: 3,
  AlreadyJoined: 4,
  NotJoined: 5,
  Full: 6,
} as const;
export type GroupCode = (typeof GroupCode)[keyof typeof GroupCode];

/** The namespace's groups (native/groups.c): `key` is `IpcKeys.groups`, names and ids UTF-8. */
export interface NativeGroups {
  groupCreate(key: number, group: Buffer): GroupCode;
  groupDelete(key: number, group: Buffer): GroupCode;
  groupList(key: number): Buffer[];
  /** Takes a member slot with SEM_UNDO: the kernel frees it when this process dies. */
  groupJoin(
    key: number,
    group: Buffer,
    memberId: Buffer,
    capabilities: Buffer,
  ): [GroupCode, slot: number, serial: number];
  groupLeave(key: number, group: Buffer, slot: number, serial: number): GroupCode;
  groupUpdate(key: number, group: Buffer, slot: number, serial: number, capabilities: Buffer): GroupCode;
  /** The living members; records of dead ones are cleared on the way. */
  groupMembers(key: number, group: Buffer): GroupCode | Array<[memberId: Buffer, capabilities: Buffer]>;
}

/** The native addon (native/tooz_ipc.c, native/groups.c): System V semaphores and the namespace's shared tables. */
export interface NativeAddon extends NativeGroups {
  /** Attaches (creating) the table at `key`; `removeIfUnused`: the last to detach from an empty table removes it. */
  attach(key: number, removeIfUnused: boolean): Table;
  /** Lets go of the table now; waits still running keep it mapped until they end. */
  detach(table: Table): void;
  /** One P with IPC_NOWAIT and SEM_UNDO (creating the semaphore free if missing); null when held elsewhere. */
  tryAcquire(table: Table, key: number, memberId: Buffer): Grant | null;
  /** A blocking P on a thread; `done` is called once: a grant, null once cancelled, or an error. */
  acquire(table: Table, key: number, memberId: Buffer, done: (error: Error | null, grant: Grant | null) => void): Wait;
  /** The wait gives up within one 100 ms slice; a grant that raced it is still delivered. */
  cancel(wait: Wait): void;
  /** Removes the semaphore if nobody waits, else hands it on; false when it had been removed already. */
  release(table: Table, key: number, semid: number): boolean;
  /** Who holds `key`: a null id for a holder without a record (Python tooz). */
  holder(table: Table, key: number): [memberId: Buffer | null, token: bigint, pid: number] | null;
  /** Takes and releases, by the rule above, every listed key that is free: what dead holders left. */
  sweep(table: Table): number;
  /** GETVAL, GETNCNT and GETPID of `key`'s semaphore, or null if there is none. */
  inspect(key: number): [value: number, waiting: number, pid: number] | null;
}

const ADDON = '../build/Release/tooz_ipc.node';

let addon: NativeAddon | undefined;
let failure: ConnectionError | undefined;

/** Loads the addon once; a missing build is a clear, final error naming what to install. */
export function native(): NativeAddon {
  if (addon) return addon;
  if (failure) throw failure;
  try {
    if (process.platform !== 'linux')
      throw new Error(`System V IPC is supported on Linux only, not ${process.platform}`);
    // src/ and dist/ are both one level below the package root, beside build/.
    addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    return addon;
  } catch (cause) {
    failure = new ConnectionError(
      '@tooz/driver-ipc: its native addon (build/Release/tooz_ipc.node) is missing or does not load. ' +
        'It runs on Linux and is built at install by node-gyp, which needs python3, make and a C compiler ' +
        '(Debian/Ubuntu: apt-get install python3 make gcc); then run `npm run build:native` in the package directory.',
      { cause, retryable: false },
    );
    throw failure;
  }
}
