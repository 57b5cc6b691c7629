import type { DriverDiagnosis, DriverSession, SessionSignal } from '@tooz/core';
import { type Observable, Subject } from 'rxjs';
import { diagnoseFile } from './diagnose.js';
import { FileGroups } from './group-backend.js';
import { FileLocks } from './lock-backend.js';
import type { SessionEnv } from './session-env.js';
import { syncCall } from './sync-call.js';

/**
 * One coordinator's use of the directory. There is no connection to lose:
 * what it holds is held by its process's descriptors, until it lets go or
 * the process dies. So it never signals on its own.
 */
export class FileSession implements DriverSession {
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
    return diagnoseFile(this.env.layout.root);
  }

  close(): Observable<void> {
    return syncCall(() => {
      this.locks.close();
      this.groups.close();
      this.env.removals.close();
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
