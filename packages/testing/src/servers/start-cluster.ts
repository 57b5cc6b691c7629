import type { ManagedServer } from './managed-server.js';
import type { ClusterHandle } from './types.js';

export interface ClusterSpec<M> {
  readonly url: string;
  readonly leader: () => Promise<M>;
  /** Shared resources (a certificate directory…), released after every member. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * Spawns every member before waiting for any: a quorum member is only ready
 * once enough of the others run. On failure, everything is disposed.
 */
export async function startCluster<M extends ManagedServer>(
  members: readonly M[],
  spec: ClusterSpec<M>,
): Promise<ClusterHandle<M>> {
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await Promise.allSettled(members.map((m) => m.dispose()));
    await spec.cleanup?.();
  };
  try {
    for (const member of members) await member.spawn();
    await Promise.all(members.map((m) => m.waitReady()));
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    members,
    url: spec.url,
    leader: spec.leader,
    stop: async () => {
      await Promise.all(members.map((m) => m.stop()));
    },
    [Symbol.asyncDispose]: dispose,
  };
}
