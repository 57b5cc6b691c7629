import { createHash } from 'node:crypto';
import type { LockKey } from '@tooz/core/driver';

/** sysv_ipc's key range on Linux x86-64 (TOOZ.md §2.7): KEY_MIN = −2^63, KEY_RANGE = 2^64 − 1. */
const KEY_MIN = -(2n ** 63n);
const KEY_RANGE = 2n ** 64n - 1n;

/** The namespace whose keys are Python tooz's own, so that the two share locks. */
export const TOOZ_NAMESPACE = 'tooz';

/**
 * tooz's `ftok(name, project)`: md5 of project ∥ name, folded into sysv_ipc's
 * 64-bit key range, then cut to C `key_t` (the low 32 bits, signed).
 */
export function ftok(name: Uint8Array | string, project: string): number {
  const digest = createHash('md5').update(project, 'ascii').update(name).digest('hex');
  const k64 = (BigInt(`0x${digest}`) % KEY_RANGE) + KEY_MIN;
  return Number(BigInt.asIntN(32, k64));
}

/**
 * Every System V key of one namespace. In the default namespace `tooz`,
 * lock keys are Python tooz's (`ftok(name, '__TOOZ_LOCK_')`); any other
 * namespace is part of the hashed project, so namespaces never meet.
 * Namespaces are letters, digits, `_`, `-` and `.`, so the `/` after one
 * keeps (namespace, name) pairs apart.
 */
export class IpcKeys {
  private readonly lockProject: string;
  private readonly leaderProject: string;
  /** The shared-memory table of holders and listed keys (native/tooz_ipc.c). */
  readonly table: number;
  /** The semaphore set of member slots and the shared-memory table of groups, one key for both (native/groups.c). */
  readonly groups: number;

  constructor(
    /** The coordinator's namespace the keys are derived from. */
    readonly namespace: string,
  ) {
    const suffix = namespace === TOOZ_NAMESPACE ? '' : `${namespace}/`;
    this.lockProject = `__TOOZ_LOCK_${suffix}`;
    this.leaderProject = `__TOOZ_LEADER_${namespace}/`;
    this.table = ftok(namespace, '_TOOZ_IPC_TABLE_');
    this.groups = ftok(namespace, '_TOOZ_IPC_GROUPS_');
  }

  /** The semaphore key of a lock or a leader seat (kept apart by project). */
  lock(key: LockKey): number {
    return ftok(Buffer.from(key.name, 'utf8'), key.kind === 'lock' ? this.lockProject : this.leaderProject);
  }
}
