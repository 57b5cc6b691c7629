import type { CertPaths } from './types.js';

/**
 * What survives a restart, exactly as Redis itself behaves:
 * - `none` (default): no RDB save points, no AOF: stop() and kill() both lose everything;
 * - `rdb`: save points, so a graceful stop() writes dump.rdb and keeps the data,
 *   kill() loses what changed since the last save;
 * - `aof`: append-only file with `appendfsync always`: every acknowledged write
 *   survives stop() and kill().
 */
export type RedisPersistence = 'none' | 'rdb' | 'aof';

export interface RedisConfigInput {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly persistence: RedisPersistence;
  readonly password?: string;
  readonly user?: { readonly name: string; readonly password: string };
  readonly certs?: CertPaths;
  readonly tlsClientAuth?: boolean;
  readonly extra?: Readonly<Record<string, string>>;
  /** Replication source, for the replica of the sentinel fixture. */
  readonly replicaOf?: { readonly host: string; readonly port: number };
}

const quote = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;

/** Renders redis.conf. Every directive is explicit so the Debian defaults never leak in. */
export function redisConfig(input: RedisConfigInput): string {
  const lines: string[] = [
    `bind ${input.host}`,
    'protected-mode no',
    'daemonize no',
    // Empty: log to stdout, which the fixture captures into server.log.
    'logfile ""',
    'loglevel notice',
    `dir ${quote(input.dataDir)}`,
    'dbfilename dump.rdb',
  ];
  if (input.certs) {
    lines.push(
      'port 0',
      `tls-port ${input.port}`,
      `tls-cert-file ${quote(input.certs.serverCert)}`,
      `tls-key-file ${quote(input.certs.serverKey)}`,
      `tls-ca-cert-file ${quote(input.certs.ca)}`,
      `tls-auth-clients ${input.tlsClientAuth ? 'yes' : 'no'}`,
      'tls-replication yes',
    );
  } else {
    lines.push(`port ${input.port}`);
  }

  switch (input.persistence) {
    case 'none':
      lines.push('save ""', 'appendonly no');
      break;
    case 'rdb':
      lines.push('save 3600 1 300 100 60 10000', 'appendonly no');
      break;
    case 'aof':
      lines.push('save ""', 'appendonly yes', 'appendfsync always');
      break;
  }

  // ACLs rather than requirepass, so a password and an ACL user combine cleanly.
  if (input.password !== undefined) lines.push(`user default on >${input.password} ~* &* +@all`);
  else if (input.user) lines.push('user default off');
  else lines.push('user default on nopass ~* &* +@all');
  if (input.user) lines.push(`user ${input.user.name} on >${input.user.password} ~* &* +@all`);

  if (input.replicaOf) lines.push(`replicaof ${input.replicaOf.host} ${input.replicaOf.port}`);
  if (input.password !== undefined && input.replicaOf) lines.push(`masterauth ${quote(input.password)}`);
  for (const [key, value] of Object.entries(input.extra ?? {})) lines.push(`${key} ${value}`);
  return `${lines.join('\n')}\n`;
}
