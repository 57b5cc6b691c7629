import { allocate } from './allocation.js';
import { startManaged } from './managed-server.js';
import { lockZookeeperRoot } from './probes/zookeeper-wire.js';
import { type ZookeeperOptions, type ZookeeperServer, zookeeperMember, zookeeperUrl } from './zookeeper-member.js';

export type { ZookeeperOptions, ZookeeperServer } from './zookeeper-member.js';

/** A standalone ZooKeeper on a free loopback port. */
export async function startZookeeper(options: ZookeeperOptions = {}): Promise<ZookeeperServer> {
  // Locking the root goes over TCP from the test process, which cannot reach inside a namespace.
  if (options.netns && options.auth) throw new Error('startZookeeper: netns with auth is not supported');
  const allocation = await allocate('zookeeper');
  const { host, port, guard } = allocation;
  const member = await guard(async () =>
    zookeeperMember({
      myid: 1,
      allocation,
      peers: [],
      options,
      name: 'zookeeper',
      url: zookeeperUrl([{ host, port }], options.auth),
    }),
  );
  await startManaged(member);
  if (options.auth) {
    try {
      await lockZookeeperRoot({ host, port }, options.auth.user, options.auth.password);
    } catch (error) {
      await member.dispose();
      throw error;
    }
  }
  return member;
}
