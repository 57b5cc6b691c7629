import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { allocate } from './allocation.js';
import { generateCerts } from './certs.js';
import { etcdEnableAuth } from './etcd-api.js';
import { type EtcdOptions, type EtcdServer, etcdMember, etcdPeerUrl } from './etcd-member.js';
import { startManaged } from './managed-server.js';

export type { EtcdOptions, EtcdServer } from './etcd-member.js';

/** A single-member etcd on a free loopback port (plus a peer port). */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  // Enabling auth goes over TCP from the test process, which cannot reach inside a namespace.
  if (options.netns && options.auth) throw new Error('startEtcd: netns with auth is not supported');
  const allocation = await allocate('etcd', 1);
  const { dir, host, extraPorts, guard } = allocation;
  const certs = options.tls ? await guard(() => generateCerts(join(dir, 'certs'), { clientName: 'root' })) : undefined;
  const credentials = options.auth ? { user: options.auth.user ?? 'root', password: options.auth.password } : undefined;
  const memberName = 'etcd0';
  const member = await guard(async () =>
    etcdMember({
      memberName,
      allocation,
      initialCluster: `${memberName}=${etcdPeerUrl(host, extraPorts[0] ?? 0)}`,
      clusterToken: randomUUID(),
      certs,
      clientAuth: typeof options.tls === 'object' && Boolean(options.tls.clientAuth),
      credentials,
      timing: { heartbeatMs: 50, electionMs: 250 },
      ...(options.netns ? { netns: options.netns } : {}),
    }),
  );
  await startManaged(member);
  if (credentials) {
    try {
      await etcdEnableAuth({ host, port: member.port, certs }, credentials);
    } catch (error) {
      await member.dispose();
      throw error;
    }
  }
  return member;
}
