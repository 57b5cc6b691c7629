import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Allocation } from './allocation.js';
import { findBinary } from './binaries.js';
import { ManagedServer } from './managed-server.js';
import { type RespAuth, redisCommand } from './probes/resp.js';
import { type RedisConfigInput, redisConfig } from './redis-config.js';

export interface RedisNodeSpec {
  readonly name: string;
  readonly allocation: Allocation;
  readonly url: string;
  readonly config: Omit<RedisConfigInput, 'host' | 'port' | 'dataDir'>;
  /** How the readiness probe logs in. */
  readonly login: RespAuth;
  /** Extra readiness condition after PONG (a replica's link to its primary…). */
  readonly alsoReady?: () => Promise<boolean>;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * One redis-server. Its config file is written once: Redis and Sentinel
 * rewrite it themselves (CONFIG REWRITE after a failover), and a restart
 * must come back the way the real server would, not the way it began.
 */
export function redisNode(spec: RedisNodeSpec): ManagedServer {
  const binary = findBinary('redis-server');
  const { dir, host, port } = spec.allocation;
  const { certs } = spec.config;
  return new ManagedServer({
    name: spec.name,
    host,
    port,
    dir,
    url: spec.url,
    launch: async () => {
      const dataDir = join(dir, 'data');
      await mkdir(dataDir, { recursive: true });
      const configFile = join(dir, 'redis.conf');
      if (!(await exists(configFile)))
        await writeFile(configFile, redisConfig({ host, port, dataDir, ...spec.config }));
      return { command: binary, args: [configFile], cwd: dir };
    },
    ready: async () => {
      if ((await redisCommand({ host, port, certs, ...spec.login }, 'PING')) !== 'PONG') return false;
      return spec.alsoReady ? spec.alsoReady() : true;
    },
  });
}
