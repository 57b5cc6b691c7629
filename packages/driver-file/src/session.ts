import type { DriverDiagnosis, DriverSession, SessionSignal } from '@tooz/core/driver';
import { type Observable, type SchedulerLike, Subject } from 'rxjs';
import { diagnoseFile } from './diagnose.js';
import { type FileMemberHandle, FileGroups } from './groups.js';
import type { Removals } from './inotify/removals.js';
import type { FileKeys } from './keys.js';
import { type FileLockHandle, FileLocks } from './locks.js';
import type { NativeAddon } from './native.js';
import type { FileSettings } from './options.js';
import { syncCall } from './sync-call.js';

/** What the parts of one session share. */
export interface SessionEnv {
  readonly addon: NativeAddon;
  readonly keys: FileKeys;
  readonly memberId: string;
  /** The member id as the holder records carry it. */
  readonly memberIdBytes: Buffer;
  /** The only timer source (rechecks after a close, holder() while a record is written). */
  readonly scheduler: SchedulerLike;
  readonly settings: FileSettings;
  readonly removals: Removals;
}

/**
 * One coordinator's use of the directory. There is no connection to lose:
 * what it holds is held by its process's descriptors, until it lets go or
 * the process dies. So it never signals on its own, and has nothing to verify.
 */
export class FileSession implements DriverSession<FileLockHandle, FileMemberHandle> {
  private readonly signals = new Subject<SessionSignal>();
  readonly signals$: Observable<SessionSignal> = this.signals.asObservable();
  readonly locks: FileLocks;
  readonly groups: FileGroups;

  constructor(private readonly env: SessionEnv) {
    this.locks = new FileLocks(env);
    this.groups = new FileGroups(env);
  }

  /** For `tooz doctor`: the directory, its file system, a warning on NFS and the like (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnoseFile(this.env.keys.root);
  }

  close(): Observable<void> {
    return syncCall(() => {
      this.locks.close();
      this.groups.close();
      this.signals.complete();
    });
  }

  /**
   * For fault tests: what the death of this process would do to what this
   * session holds (every descriptor closed, so the kernel drops every lock,
   * and member files are left for others to prune), after which the
   * session carries on as a new one. Emits `lost`, then `reconnected`.
   */
  simulateCrash(): void {
    this.locks.dropAll();
    this.groups.dropAll();
    this.signals.next('lost');
    this.signals.next('reconnected');
  }
}
