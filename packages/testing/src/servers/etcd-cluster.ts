import { randomUUID } from 'node:crypto';
import { type Allocation, allocate } from './allocation.js';
import { generateCerts } from './certs.js';
import { etcdEnableAuth, etcdStatus } from './etcd-api.js';
import { type EtcdMember, type EtcdOptions, type EtcdServer, etcdMember, etcdPeerUrl, etcdUrl } from './etcd-member.js';
import { startCluster } from './start-cluster.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import type { CertPaths, ClusterHandle } from './types.js';

export interface EtcdCluster extends ClusterHandle<EtcdServer> {
  /** The user the url logs in as, with `auth`. */
  readonly username: string | undefined;
  /** That user's password, with `auth`. */
  readonly password: string | undefined;
  /** Whether the client ports speak TLS. */
  readonly tls: boolean;
  /** One CA and one server certificate (valid for every member, all on 127.0.0.1) for the whole cluster. */
  readonly certs: CertPaths | undefined;
}

/** An etcd cluster of `size` members (3 by default), each with its own directory and ports. */
export async function startEtcdCluster(size = 3, options: EtcdOptions = {}): Promise<EtcdCluster> {
  if (options.netns) throw new Error('startEtcdCluster: netns is not supported (startEtcd takes it)');
  const allocations: Allocation[] = [];
  let certsDir: string | undefined;
  const releaseAll = async () => {
    await Promise.all(allocations.map((a) => a.release()));
    if (certsDir) await removeTempDir(certsDir);
  };
  let certs: CertPaths | undefined;
  try {
    for (let i = 0; i < size; i++) allocations.push(await allocate(`etcd${i}`, 1));
    if (options.tls) {
      certsDir = await makeTempDir('etcd-certs');
      certs = await generateCerts(certsDir, { clientName: 'root' });
    }
  } catch (error) {
    await releaseAll();
    throw error;
  }
  const credentials = options.auth ? { user: options.auth.user ?? 'root', password: options.auth.password } : undefined;
  const initialCluster = allocations.map((a, i) => `etcd${i}=${etcdPeerUrl(a.host, a.extraPorts[0] ?? 0)}`).join(',');
  const clusterToken = randomUUID();
  let members: EtcdMember[];
  try {
    members = allocations.map((allocation, i) =>
      etcdMember({
        memberName: `etcd${i}`,
        allocation,
        initialCluster,
        clusterToken,
        certs,
        clientAuth: typeof options.tls === 'object' && Boolean(options.tls.clientAuth),
        credentials,
      }),
    );
  } catch (error) {
    await releaseAll();
    throw error;
  }

  const leader = async (): Promise<EtcdMember> => {
    for (const member of members) {
      if (!member.running || member.paused) continue;
      try {
        const { memberId, leaderId } = await etcdStatus({ host: member.host, port: member.port, certs }, credentials);
        if (memberId && memberId === leaderId) return member;
      } catch {
        // Not answering: ask the next one.
      }
    }
    throw new Error('no etcd member reports itself as leader');
  };

  const cluster = await startCluster(members, {
    url: etcdUrl(members, Boolean(certs), credentials),
    leader,
    cleanup: async () => {
      if (certsDir) await removeTempDir(certsDir);
    },
  });
  if (credentials) {
    const first = members[0];
    try {
      if (first) await etcdEnableAuth({ host: first.host, port: first.port, certs }, credentials);
    } catch (error) {
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
  }
  return Object.assign(cluster, {
    username: credentials?.user,
    password: credentials?.password,
    tls: Boolean(certs),
    certs,
  });
}
