import type { DriverDiagnosis } from '@tooz/core';
import type { Etcd3, IStatusResponse } from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import { withTimeout } from './rpc.js';

/** How long the member may take to answer the status request. */
const STATUS_TIMEOUT_MS = 5_000;

/** etcd's ids are uint64 in decimal; etcdctl shows them in hex. */
const hex = (id: string) => (/^\d+$/.test(id) ? BigInt(id).toString(16) : id);

/**
 * What `tooz doctor` shows for etcd: the answering member's version, its
 * database size, who leads the raft group, and the session lease's TTL
 * (what etcd granted: it raises a TTL below its minimum), with a warning
 * for an alarm (NOSPACE makes etcd refuse every write, so every acquire,
 * join and lease grant), a member without a leader (no quorum: nothing can
 * be written), or a learner (it cannot serve the driver's requests). etcd
 * exposes no clock, so no clock offset is measured.
 */
export async function diagnoseEtcd(
  client: Etcd3,
  scheduler: SchedulerLike,
  leaseTtl: number,
): Promise<DriverDiagnosis> {
  const server: Record<string, string | number | boolean> = { leaseTtlMs: leaseTtl };
  const warnings: string[] = [];
  let status: IStatusResponse;
  try {
    status = await withTimeout(client.maintenance.status(), scheduler, STATUS_TIMEOUT_MS, 'status');
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
