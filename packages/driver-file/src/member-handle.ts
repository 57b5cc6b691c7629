import { join } from 'node:path';
import type { MemberHandle } from '@tooz/core';
import type { Observable } from 'rxjs';
import { memberFiles } from './layout.js';

/** One membership: the descriptor holding the lock on the member's `.lock` file. */
export class FileMemberHandle implements MemberHandle {
  left = false;
  /** Its lock descriptor was closed under it (a simulated crash). */
  dead = false;
  lost$: Observable<unknown> | undefined;

  constructor(
    readonly dir: string,
    readonly hash: string,
    readonly fd: number,
    readonly joinedOn: Date,
  ) {}

  get rawPath(): string {
    return join(this.dir, memberFiles(this.hash).raw);
  }

  get lockPath(): string {
    return join(this.dir, memberFiles(this.hash).lock);
  }
}
