import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Allocation } from './allocation.js';
import { findBinary } from './binaries.js';
import { etcdHealthy } from './etcd-api.js';
import { ManagedServer } from './managed-server.js';
import type { NetworkNamespace } from './netns.js';
import type { CertPaths, ServerHandle, TlsOptions } from './types.js';

/** Options of `startEtcd` and `startEtcdCluster`. */
export interface EtcdOptions {
  /**
   * Authentication: creates `root` with this password and, when `user` is
   * someone else, that user with read-write on every key; the url logs in as `user`.
   */
  readonly auth?: {
    /** The user the url logs in as (default `root`). */
    readonly user?: string;
    /** Its password (and root's). */
    readonly password: string;
  };
  /** TLS on the client port, with certificates generated for this server or cluster. */
  readonly tls?: boolean | TlsOptions;
  /**
   * `startEtcd` only, without `auth`: run inside this network namespace (see
   * netns.ts); `url` then works only there (for workers or peers on its hosts).
   */
  readonly netns?: NetworkNamespace;
}

/** etcd persists every committed write (WAL): stop(), restart() and kill() keep the data. */
export interface EtcdServer extends ServerHandle {
  /** The member name in the cluster (`etcd0`…). */
  readonly memberName: string;
  /** The raft peer port. */
  readonly peerPort: number;
  /** The user the url logs in as, with `auth`. */
  readonly username: string | undefined;
  /** That user's password, with `auth`. */
  readonly password: string | undefined;
  /** Whether the client port speaks TLS. */
  readonly tls: boolean;
  /** The PEM files, with `tls`. */
  readonly certs: CertPaths | undefined;
}

export interface EtcdMemberSpec {
  readonly memberName: string;
  readonly allocation: Allocation;
  /** `name=peerUrl,…` for every member. */
  readonly initialCluster: string;
  readonly clusterToken: string;
  readonly certs: CertPaths | undefined;
  readonly clientAuth: boolean;
  readonly credentials: { readonly user: string; readonly password: string } | undefined;
  /**
   * Raft timing. A lone member can elect itself fast after a restart (no one
   * to disagree with); a real cluster keeps etcd's defaults (100/1000 ms) so a
   * busy test machine does not cause spurious elections.
   */
  readonly timing?: { readonly heartbeatMs: number; readonly electionMs: number };
  /** Run inside this network namespace; the readiness probe is `etcdctl endpoint health` run inside too. */
  readonly netns?: NetworkNamespace;
}

export const etcdPeerUrl = (host: string, port: number) => `http://${host}:${port}`;

export function etcdUrl(
  hosts: readonly { host: string; port: number }[],
  tls: boolean,
  credentials: { user: string; password: string } | undefined,
): string {
  const login = credentials
    ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
    : '';
  return `${tls ? 'etcds' : 'etcd'}://${login}${hosts.map((h) => `${h.host}:${h.port}`).join(',')}`;
}

export type EtcdMember = ManagedServer & EtcdServer;

/** One etcd member; not started. */
export function etcdMember(spec: EtcdMemberSpec): EtcdMember {
  const binary = findBinary('etcd');
  const { dir, host, port, extraPorts } = spec.allocation;
  const peerPort = extraPorts[0];
  if (peerPort === undefined) throw new Error('etcd member needs a peer port');
  const { certs, credentials } = spec;
  const clientUrl = `${certs ? 'https' : 'http'}://${host}:${port}`;

  const server = new ManagedServer({
    name: spec.memberName,
    host,
    port,
    dir,
    extraPorts,
    url: etcdUrl([{ host, port }], Boolean(certs), credentials),
    launch: async () => {
      const dataDir = join(dir, 'data');
      // etcd wants its data directory private.
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      const args = [
        '--name',
        spec.memberName,
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        etcdPeerUrl(host, peerPort),
        '--initial-advertise-peer-urls',
        etcdPeerUrl(host, peerPort),
        '--initial-cluster',
        spec.initialCluster,
        // Ignored once the data directory exists, so restart() rejoins the same cluster.
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        spec.clusterToken,
        ...(spec.timing
          ? [
              '--heartbeat-interval',
              String(spec.timing.heartbeatMs),
              '--election-timeout',
              String(spec.timing.electionMs),
            ]
          : []),
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ];
      if (certs) {
        args.push('--cert-file', certs.serverCert, '--key-file', certs.serverKey);
        // A trusted CA alone turns client-certificate checks on in etcd, whatever --client-cert-auth says.
        if (spec.clientAuth) args.push('--client-cert-auth', '--trusted-ca-file', certs.ca);
      }
      const launch = { command: binary, args, cwd: dir };
      return spec.netns ? spec.netns.wrap(launch) : launch;
    },
    ready: async () => {
      if (!spec.netns) return etcdHealthy({ host, port, certs });
      // Exit 0 once a linearizable read is served (a leader is elected), as /health says.
      const tls = certs ? ['--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey] : [];
      await spec.netns.run(findBinary('etcdctl'), [
        `--endpoints=${clientUrl}`,
        '--command-timeout=2s',
        ...tls,
        'endpoint',
        'health',
      ]);
      return true;
    },
  });
  return Object.assign(server, {
    memberName: spec.memberName,
    peerPort,
    username: credentials?.user,
    password: credentials?.password,
    tls: Boolean(certs),
    certs,
  });
}
