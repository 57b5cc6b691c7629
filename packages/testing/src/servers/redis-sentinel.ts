import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Allocation, allocate } from './allocation.js';
import { findBinary } from './binaries.js';
import { ManagedServer } from './managed-server.js';
import { parseInfo, redisCommand } from './probes/resp.js';
import type { RedisServer } from './redis.js';
import { redisUrl } from './redis.js';
import { redisNode } from './redis-node.js';
import { startCluster } from './start-cluster.js';
import type { ClusterHandle, ServerHandle } from './types.js';

/** Options of `startRedisSentinel`. */
export interface RedisSentinelOptions {
  /** The name the sentinels monitor the primary under (default `mymaster`). */
  readonly masterName?: string;
  /** How long a primary may be silent before sentinels call it down (default 1000 ms: tests want quick failovers). */
  readonly downAfterMs?: number;
  /** Sentinel's failover-timeout (default 5000 ms). */
  readonly failoverTimeoutMs?: number;
}

/**
 * A primary, a replica and three sentinels (quorum 2). `members` are the
 * two data nodes; `leader()` is the node the sentinels currently name as
 * primary, which changes after a failover. No persistence: a restarted data
 * node comes back empty and resyncs from whichever node is primary.
 */
export interface RedisSentinelCluster extends ClusterHandle<RedisServer> {
  /** The name the sentinels monitor the primary under. */
  readonly masterName: string;
  /** The node that started as primary (it may be a replica after a failover). */
  readonly primary: RedisServer;
  /** The node that started as replica. */
  readonly replica: RedisServer;
  /** The sentinel processes. */
  readonly sentinels: readonly ServerHandle[];
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function sentinelConfig(allocation: Allocation, primary: Allocation, options: Required<RedisSentinelOptions>): string {
  const name = options.masterName;
  return `${[
    `port ${allocation.port}`,
    `bind ${allocation.host}`,
    'protected-mode no',
    'daemonize no',
    'logfile ""',
    `dir "${allocation.dir}"`,
    `sentinel monitor ${name} ${primary.host} ${primary.port} 2`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs}`,
    `sentinel failover-timeout ${name} ${options.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
  ].join('\n')}\n`;
}

/** A sentinel is ready once it knows the replica and both other sentinels. */
async function sentinelReady(allocation: Allocation, masterName: string): Promise<boolean> {
  const reply = await redisCommand(allocation, 'SENTINEL', 'MASTER', masterName);
  if (!Array.isArray(reply)) return false;
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2';
}

function sentinelNode(
  allocation: Allocation,
  primary: Allocation,
  options: Required<RedisSentinelOptions>,
  index: number,
): ManagedServer {
  const binary = findBinary('redis-sentinel');
  const { dir, host, port } = allocation;
  return new ManagedServer({
    name: `sentinel${index}`,
    host,
    port,
    dir,
    url: `redis://${host}:${port}`,
    launch: async () => {
      // Sentinel records what it learns in its config file: write it once, keep it across restarts.
      const configFile = join(dir, 'sentinel.conf');
      if (!(await exists(configFile))) await writeFile(configFile, sentinelConfig(allocation, primary, options));
      return { command: binary, args: [configFile], cwd: dir };
    },
    ready: () => sentinelReady(allocation, options.masterName),
  });
}

/** Starts a primary, a replica and three sentinels; resolves once each sentinel sees the replica and the two other sentinels. Fails when redis-sentinel is not installed. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelCluster> {
  const settings: Required<RedisSentinelOptions> = {
    masterName: options.masterName ?? 'mymaster',
    downAfterMs: options.downAfterMs ?? 1000,
    failoverTimeoutMs: options.failoverTimeoutMs ?? 5000,
  };
  const allocations: Allocation[] = [];
  let nodes: (ManagedServer & RedisServer)[];
  let sentinels: ManagedServer[];
  try {
    for (const label of ['redis-primary', 'redis-replica', 'sentinel0', 'sentinel1', 'sentinel2']) {
      allocations.push(await allocate(label));
    }
    const [primaryAt, replicaAt, ...sentinelsAt] = allocations as [Allocation, Allocation, ...Allocation[]];
    const dataNode = (name: string, allocation: Allocation, replicaOf?: Allocation) =>
      Object.assign(
        redisNode({
          name,
          allocation,
          url: redisUrl('redis', allocation.host, allocation.port),
          login: {},
          config: {
            persistence: 'none',
            // Redis waits 5 s for more replicas before a full sync by default.
            extra: { 'repl-diskless-sync-delay': '0' },
            ...(replicaOf ? { replicaOf } : {}),
          },
          ...(replicaOf
            ? {
                alsoReady: async () =>
                  parseInfo(await redisCommand(allocation, 'INFO', 'replication')).get('master_link_status') === 'up',
              }
            : {}),
        }),
        { username: undefined, password: undefined, tls: false, certs: undefined, persistence: 'none' as const },
      );
    nodes = [dataNode('redis-primary', primaryAt), dataNode('redis-replica', replicaAt, primaryAt)];
    sentinels = sentinelsAt.map((allocation, i) => sentinelNode(allocation, primaryAt, settings, i));
  } catch (error) {
    await Promise.all(allocations.map((a) => a.release()));
    throw error;
  }
  const [primary, replica] = nodes as [ManagedServer & RedisServer, ManagedServer & RedisServer];

  const leader = async (): Promise<ManagedServer & RedisServer> => {
    for (const sentinel of sentinels) {
      if (!sentinel.running || sentinel.paused) continue;
      try {
        const address = await redisCommand(sentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', settings.masterName);
        const port = Array.isArray(address) ? Number(address[1]) : Number.NaN;
        const node = nodes.find((n) => n.port === port);
        if (node) return node;
      } catch {
        // Not answering: ask the next one.
      }
    }
    throw new Error(`no sentinel names a primary for ${settings.masterName}`);
  };

  const dataNodes = await startCluster(nodes, { url: '', leader });
  let sentinelGroup: ClusterHandle<ManagedServer>;
  try {
    sentinelGroup = await startCluster(sentinels, { url: '', leader: () => Promise.reject(new Error('no leader')) });
  } catch (error) {
    await dataNodes[Symbol.asyncDispose]();
    throw error;
  }
  const url = `redis+sentinel://${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${settings.masterName}`;
  return {
    members: nodes,
    url,
    leader,
    masterName: settings.masterName,
    primary,
    replica,
    sentinels,
    stop: async () => {
      await Promise.all([sentinelGroup.stop(), dataNodes.stop()]);
    },
    [Symbol.asyncDispose]: async () => {
      await Promise.all([sentinelGroup[Symbol.asyncDispose](), dataNodes[Symbol.asyncDispose]()]);
    },
  };
}
