import {
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
  type SessionSignal,
  sleep,
} from '@tooz/core/driver';
import type { Etcd3 } from 'etcd3';
import { NEVER, type Observable } from 'rxjs';
import { EtcdGroups, type EtcdMemberHandle } from './groups.js';
import { Janitor } from './janitor.js';
import type { EtcdKeys } from './keys.js';
import { type EtcdLockHandle, EtcdLocks } from './locks.js';
import type { LockMode } from './options.js';
import { EntrySlots } from './queue-entries.js';
import type { EtcdRpc } from './rpc.js';
import type { EtcdSessionLease } from './session-lease.js';
import { WatchStream } from './watch-stream.js';
import { PrefixWatches } from './watches.js';

/** How long a prefix watch outlives its last user (see PrefixWatches). */
const WATCH_LINGER_MS = 10_000;

/** What the lock and group backends of one session share. */
export interface EtcdContext extends DriverContext {
  readonly rpc: EtcdRpc;
  readonly keys: EtcdKeys;
  readonly lease: EtcdSessionLease;
  readonly watches: PrefixWatches;
  /** The session's watch stream, for watches of one's own (a waiter's on its predecessor). */
  readonly stream: WatchStream;
  readonly janitor: Janitor;
  /** The member id as stored in queue entries, so `holder()` can name the holder. */
  readonly memberBytes: Buffer;
  /** Reusable names for queue entries. */
  readonly slots: EntrySlots;
  /** A number unique within the session, for attempt ids. */
  nextAttempt(): number;
}

/** etcd's ids are uint64 in decimal; etcdctl shows them in hex. */
const hex = (id: string) => (/^\d+$/.test(id) ? BigInt(id).toString(16) : id);

/**
 * One coordinator's connection to etcd. Liveness is the session lease, which
 * core keeps alive (`lease`), so this reports no signals of its own: a failed
 * keep-alive is `suspended`, an expired lease `lost`.
 */
export class EtcdSession implements DriverSession<EtcdLockHandle, EtcdMemberHandle> {
  readonly signals$: Observable<SessionSignal> = NEVER;
  readonly locks: EtcdLocks;
  readonly groups: EtcdGroups;
  private readonly ctx: EtcdContext;

  constructor(
    private readonly client: Etcd3,
    rpc: EtcdRpc,
    readonly lease: EtcdSessionLease,
    keys: EtcdKeys,
    context: DriverContext,
    lockMode: LockMode = 'native',
  ) {
    // Any unary call re-authenticates when etcd3's cached token went stale (after a server restart).
    const refreshAuth = () => rpc.range({ key: keys.groupsPrefix, count_only: true }, 'auth refresh');
    const stream = new WatchStream(client, context.scheduler, context.backoff(), refreshAuth);
    let attempts = 0;
    this.ctx = {
      ...context,
      rpc,
      keys,
      lease,
      stream,
      watches: new PrefixWatches(stream, context.scheduler, WATCH_LINGER_MS),
      janitor: new Janitor(rpc, () => context.backoff()),
      memberBytes: Buffer.from(context.memberId),
      slots: new EntrySlots(),
      nextAttempt: () => ++attempts,
    };
    this.locks = new EtcdLocks(this.ctx, lockMode);
    this.groups = new EtcdGroups(this.ctx);
  }

  /** The session lease id (decimal), as `etcdctl lease list` shows it in hex: for tests and operators. */
  get leaseId(): string | undefined {
    try {
      return this.lease.id.id;
    } catch {
      return undefined;
    }
  }

  /**
   * What `tooz doctor` shows for etcd: the answering member's version, its
   * database size, who leads the raft group, and the session lease's TTL
   * (what etcd granted: it raises a TTL below its minimum), with a warning
   * for an alarm (NOSPACE makes etcd refuse every write, so every acquire,
   * join and lease grant), a member without a leader (no quorum: nothing can
   * be written), or a learner (it cannot serve the driver's requests). etcd
   * exposes no clock, so no clock offset is measured.
   */
  async diagnose(): Promise<DriverDiagnosis> {
    const server: Record<string, string | number | boolean> = { leaseTtlMs: this.lease.ttl };
    const warnings: string[] = [];
    let status: Awaited<ReturnType<Etcd3['maintenance']['status']>>;
    try {
      status = await this.ctx.rpc.bounded(this.client.maintenance.status(), 'status', 5_000);
    } catch (error) {
      // A user without the right to read the status still gets the rest of the report.
      warnings.push(`the member status could not be read (${(error as Error).message}): nothing else was checked`);
      return { server, warnings };
    }
    for (const error of status.errors ?? []) warnings.push(`etcd reports: ${error}`);
    if (status.leader === '0') {
      warnings.push('the member answering has no leader: the cluster has lost quorum and refuses every write');
    }
    if (status.isLearner) warnings.push('connected to a learner member, which cannot serve reads and writes');
    Object.assign(server, {
      version: status.version,
      member: hex(status.header.member_id),
      leader: hex(status.leader),
      raftTerm: status.raftTerm,
      dbSizeBytes: Number(status.dbSize),
      dbSizeInUseBytes: Number(status.dbSizeInUse),
    });
    return { server, warnings };
  }

  async close(): Promise<void> {
    const { scheduler, watches, stream, janitor, lease } = this.ctx;
    // Streams are ended in tasks of their own (see endSoon), never from a promise continuation.
    await sleep(0, scheduler);
    watches.close();
    stream.close();
    janitor.close();
    try {
      // Whatever this session still had goes now rather than at the lease's expiry (tooz never revoked it).
      await lease.revoke();
    } catch {
      // Unreachable: the server expires the lease by itself.
    }
    await sleep(0, scheduler);
    this.client.close();
  }
}
