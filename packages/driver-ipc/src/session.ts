import { readFileSync } from 'node:fs';
import type { DriverDiagnosis, DriverSession, SessionSignal } from '@tooz/core/driver';
import { type Observable, Subject } from 'rxjs';
import { syscall } from './errors.js';
import type { IpcKeys } from './keys.js';
import { IpcGroups, type IpcMemberHandle } from './groups.js';
import { type IpcLockHandle, IpcLocks } from './locks.js';
import type { NativeAddon, Table } from './native.js';

/** What the parts of one session share. */
export interface SessionEnv {
  readonly addon: NativeAddon;
  readonly keys: IpcKeys;
  /** The namespace's shared table of holders (attached for this session). */
  readonly table: Table;
  readonly memberId: string;
  /** The member id as holder and member records carry it. */
  readonly memberIdBytes: Buffer;
}

/**
 * One coordinator's use of the host's semaphores. There is no connection to
 * lose: what it holds is held by its process until it lets go or dies, so
 * it never signals on its own and has nothing to verify.
 */
export class IpcSession implements DriverSession<IpcLockHandle, IpcMemberHandle> {
  private readonly signals = new Subject<SessionSignal>();
  readonly signals$: Observable<SessionSignal> = this.signals.asObservable();
  readonly locks: IpcLocks;
  readonly groups: IpcGroups;

  constructor(private readonly env: SessionEnv) {
    this.locks = new IpcLocks(env);
    this.groups = new IpcGroups(env);
  }

  /** The kernel's limits (SEMMSL SEMMNS SEMOPM SEMMNI) bound how many locks can exist at once. */
  diagnose(): Observable<DriverDiagnosis> {
    return syscall(() => {
      const [semmsl, semmns, semopm, semmni] = readFileSync('/proc/sys/kernel/sem', 'utf8').trim().split(/\s+/);
      return {
        server: {
          kernel: 'System V IPC',
          semmni: Number(semmni),
          semmns: Number(semmns),
          semmsl: Number(semmsl),
          semopm: Number(semopm),
        },
      };
    });
  }

  close(): Observable<void> {
    return syscall(() => {
      this.locks.close();
      this.groups.close();
      // The last process to let go of an empty table removes it (native/tooz_ipc.c).
      this.env.addon.detach(this.env.table);
      this.signals.complete();
    });
  }
}
