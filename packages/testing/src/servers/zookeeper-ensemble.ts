import { type Allocation, allocate } from './allocation.js';
import { zookeeperMode } from './probes/four-letter-word.js';
import { lockZookeeperRoot } from './probes/zookeeper-wire.js';
import { startCluster } from './start-cluster.js';
import type { ClusterHandle } from './types.js';
import {
  type QuorumPeer,
  type ZookeeperMember,
  type ZookeeperOptions,
  type ZookeeperServer,
  zookeeperMember,
  zookeeperUrl,
} from './zookeeper-member.js';

export interface ZookeeperEnsemble extends ClusterHandle<ZookeeperServer> {
  /** The digest user, with `auth`. */
  readonly username: string | undefined;
  /** Its password, with `auth`. */
  readonly password: string | undefined;
}

/** A ZooKeeper ensemble of `size` members (3 by default): client, quorum and election port each. */
export async function startZookeeperEnsemble(size = 3, options: ZookeeperOptions = {}): Promise<ZookeeperEnsemble> {
  if (options.netns) throw new Error('startZookeeperEnsemble: netns is not supported (startZookeeper takes it)');
  const allocations: Allocation[] = [];
  let members: ZookeeperMember[];
  try {
    for (let i = 0; i < size; i++) allocations.push(await allocate(`zookeeper${i + 1}`, 2));
    const peers: QuorumPeer[] = allocations.map((a, i) => ({
      myid: i + 1,
      host: a.host,
      quorumPort: a.extraPorts[0] ?? 0,
      electionPort: a.extraPorts[1] ?? 0,
    }));
    members = allocations.map((allocation, i) =>
      zookeeperMember({
        myid: i + 1,
        allocation,
        peers,
        options,
        name: `zookeeper${i + 1}`,
        url: zookeeperUrl([allocation], options.auth),
      }),
    );
  } catch (error) {
    await Promise.all(allocations.map((a) => a.release()));
    throw error;
  }

  const leader = async (): Promise<ZookeeperMember> => {
    for (const member of members) {
      if (!member.running || member.paused) continue;
      try {
        if ((await zookeeperMode(member)) === 'leader') return member;
      } catch {
        // Not answering: ask the next one.
      }
    }
    throw new Error('no ZooKeeper member reports itself as leader');
  };

  const ensemble = await startCluster(members, { url: zookeeperUrl(members, options.auth), leader });
  const first = members[0];
  if (options.auth && first) {
    try {
      await lockZookeeperRoot(first, options.auth.user, options.auth.password);
    } catch (error) {
      await ensemble[Symbol.asyncDispose]();
      throw error;
    }
  }
  return Object.assign(ensemble, { username: options.auth?.user, password: options.auth?.password });
}
