import type { DriverDiagnosis, DriverSession, GroupBackend, LockBackend, SessionSignal } from '@tooz/core';
import type { Etcd3 } from 'etcd3';
import { NEVER, type Observable } from 'rxjs';
import { diagnoseEtcd } from './diagnose.js';
import { EntrySlots } from './entry-slots.js';
import { groupBackend } from './group-backend.js';
import { Janitor } from './janitor.js';
import { KeyLayout } from './keys.js';
import { lockBackend } from './lock-backend.js';
import type { LockMode } from './options.js';
import type { EtcdRpc } from './rpc.js';
import type { SessionContext } from './session-context.js';
import type { EtcdSessionLease } from './session-lease.js';
import { nextTurn } from './next-turn.js';
import { toozLockBackend } from './tooz-locks.js';
import { WatchHub } from './watch-hub.js';
import { WatchStream } from './watch-stream.js';

/** How long a prefix watch outlives its last user (see SharedWatch). */
const WATCH_LINGER_MS = 10_000;

/**
 * One coordinator's connection to etcd. Liveness is the session lease, which
 * core keeps alive (`lease`), so this reports no signals of its own: a failed
 * keep-alive is `suspended`, an expired lease `lost`.
 */
export class EtcdSession implements DriverSession {
  readonly signals$: Observable<SessionSignal> = NEVER;
  readonly locks: LockBackend;
  readonly groups: GroupBackend;
  private readonly watches: WatchStream;
  private readonly hub: WatchHub;
  private readonly janitor: Janitor;

  constructor(
    private readonly client: Etcd3,
    rpc: EtcdRpc,
    readonly lease: EtcdSessionLease,
    namespace: string,
    memberId: string,
    lockMode: LockMode = 'native',
  ) {
    const layout = new KeyLayout(namespace);
    // Any unary call re-authenticates when etcd3's cached token went stale (after a server restart).
    const refreshAuth = () => rpc.range({ key: layout.groupsPrefix, count_only: true }, 'auth refresh');
    this.watches = new WatchStream(client, rpc.scheduler, refreshAuth);
    this.hub = new WatchHub(this.watches, rpc.scheduler, WATCH_LINGER_MS);
    this.janitor = new Janitor(rpc, rpc.scheduler);
    let attempts = 0;
    const ctx: SessionContext = {
      rpc,
      layout,
      lease,
      hub: this.hub,
      watches: this.watches,
      janitor: this.janitor,
      scheduler: rpc.scheduler,
      memberId,
      memberBytes: Buffer.from(memberId),
      slots: new EntrySlots(),
      nextAttempt: () => ++attempts,
    };
    this.locks = lockMode === 'tooz' ? toozLockBackend(ctx, lockBackend(ctx)) : lockBackend(ctx);
    this.groups = groupBackend(ctx);
  }

  /** The session lease id (decimal), as `etcdctl lease list` shows it in hex: for tests and operators. */
  get leaseId(): string | undefined {
    try {
      return this.lease.id.id;
    } catch {
      return undefined;
    }
  }

  /** For `tooz doctor`: version, raft leader, database size, alarms, lease TTL (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnoseEtcd(this.client, this.watches.scheduler, this.lease.ttl);
  }

  async close(): Promise<void> {
    const scheduler = this.watches.scheduler;
    await nextTurn(scheduler);
    this.hub.close();
    this.watches.close();
    this.janitor.close();
    try {
      // Whatever this session still had goes now rather than at the lease's expiry (tooz never revoked it).
      await this.lease.revoke();
    } catch {
      // Unreachable: the server expires the lease by itself.
    }
    // Streams are ended in tasks of their own (see nextTurn); the client closes after them.
    await nextTurn(scheduler);
    this.client.close();
  }
}
