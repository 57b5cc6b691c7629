import { join } from 'node:path';
import { allocate } from './allocation.js';
import { generateCerts } from './certs.js';
import { startManaged } from './managed-server.js';
import type { NetworkNamespace } from './netns.js';
import type { RedisPersistence } from './redis-config.js';
import { redisNode } from './redis-node.js';
import type { CertPaths, ServerHandle, TlsOptions } from './types.js';

export type { RedisPersistence } from './redis-config.js';

/** Options of `startRedis`. */
export interface RedisOptions {
  /** Password of the `default` user (what `requirepass` sets). */
  readonly password?: string;
  /** An ACL user with every permission. Without `password`, the default user is disabled. */
  readonly user?: {
    /** The ACL user name. */
    readonly name: string;
    /** Its password. */
    readonly password: string;
  };
  /** TLS only (no plain port), with certificates generated for this server. */
  readonly tls?: boolean | TlsOptions;
  /** What restart keeps; see RedisPersistence. Default `none`. */
  readonly persistence?: RedisPersistence;
  /** Extra redis.conf directives, e.g. `{ 'maxmemory-policy': 'noeviction' }`. */
  readonly config?: Readonly<Record<string, string>>;
  /**
   * Run inside this network namespace (see netns.ts): `url` then works only
   * there (for workers or peers on its hosts).
   */
  readonly netns?: NetworkNamespace;
}

export interface RedisServer extends ServerHandle {
  /** The ACL user when there is one; what the url logs in as. */
  readonly username: string | undefined;
  /** The password the url logs in with, if any. */
  readonly password: string | undefined;
  /** Whether it speaks TLS (and only TLS). */
  readonly tls: boolean;
  /** The PEM files, with `tls`. */
  readonly certs: CertPaths | undefined;
  /** What a restart keeps. */
  readonly persistence: RedisPersistence;
}

export function redisUrl(scheme: string, host: string, port: number, username?: string, password?: string): string {
  const credentials =
    password === undefined ? '' : `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@`;
  return `${scheme}://${credentials}${host}:${port}`;
}

/** A redis-server on a free loopback port, in its own directory. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const allocation = await allocate('redis');
  const { dir, host, port, guard } = allocation;
  const tls = Boolean(options.tls);
  const tlsClientAuth = typeof options.tls === 'object' && Boolean(options.tls.clientAuth);
  const certs = tls ? await guard(() => generateCerts(join(dir, 'certs'))) : undefined;
  const persistence = options.persistence ?? 'none';
  // The url logs in as the ACL user when there is one.
  const username = options.user?.name;
  const password = options.user?.password ?? options.password;

  const server = await guard(async () =>
    redisNode({
      name: 'redis',
      allocation,
      url: redisUrl(tls ? 'rediss' : 'redis', host, port, username, password),
      login: { username, password },
      ...(options.netns ? { netns: options.netns } : {}),
      config: {
        persistence,
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(options.user ? { user: options.user } : {}),
        ...(certs ? { certs, tlsClientAuth } : {}),
        ...(options.config ? { extra: options.config } : {}),
      },
    }),
  );
  return startManaged(Object.assign(server, { username, password, tls, certs, persistence }));
}
