import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Allocation } from './allocation.js';
import { findBinary } from './binaries.js';
import { ManagedServer } from './managed-server.js';
import type { NetworkNamespace } from './netns.js';
import { type RespAuth, redisCommand } from './probes/resp.js';
import { type RedisConfigInput, redisConfig } from './redis-config.js';
import type { CertPaths } from './types.js';

export interface RedisNodeSpec {
  readonly name: string;
  readonly allocation: Allocation;
  readonly url: string;
  readonly config: Omit<RedisConfigInput, 'host' | 'port' | 'dataDir'>;
  /** How the readiness probe logs in. */
  readonly login: RespAuth;
  /** Extra readiness condition after PONG (a replica's link to its primary…). */
  readonly alsoReady?: () => Promise<boolean>;
  /** Run inside this network namespace (see netns.ts); the readiness probe is `redis-cli` run inside too. */
  readonly netns?: NetworkNamespace;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** `redis-cli` arguments for a PING the way the fixture's own probe sends it. */
function redisCliArgs(host: string, port: number, certs: CertPaths | undefined, login: RespAuth): string[] {
  return [
    '-h',
    host,
    '-p',
    String(port),
    ...(certs ? ['--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey] : []),
    ...(login.username !== undefined ? ['--user', login.username] : []),
    ...(login.password !== undefined ? ['--pass', login.password] : []),
    '--no-auth-warning',
    'PING',
  ];
}

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
      const launch = { command: binary, args: [configFile], cwd: dir };
      return spec.netns ? spec.netns.wrap(launch) : launch;
    },
    ready: async () => {
      // Over TCP, where the clients connect: inside the namespace when there is one.
      const pong = spec.netns
        ? (await spec.netns.run(findBinary('redis-cli'), redisCliArgs(host, port, certs, spec.login))).trim()
        : await redisCommand({ host, port, certs, ...spec.login }, 'PING');
      if (pong !== 'PONG') return false;
      return spec.alsoReady ? spec.alsoReady() : true;
    },
  });
}
