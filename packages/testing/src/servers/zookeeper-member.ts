import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Allocation } from './allocation.js';
import { findBinary, zookeeperClasspath } from './binaries.js';
import { ManagedServer } from './managed-server.js';
import type { NetworkNamespace } from './netns.js';
import { zookeeperMode, zookeeperModeIn } from './probes/four-letter-word.js';
import type { ServerHandle } from './types.js';

/** Options of `startZookeeper` and `startZookeeperEnsemble`. */
export interface ZookeeperOptions {
  /**
   * Digest authentication: the root node's ACL gives everything to this
   * identity alone, so other credentials (or none) can neither list nor
   * create under `/`. With `enforce`, the server also refuses any request
   * from a session that has not logged in (ZooKeeper's
   * enforce.auth.schemes=digest): it answers error -124 and closes the
   * session, which some clients (node-zookeeper-client) cannot parse.
   */
  readonly auth?: {
    /** The digest user. */
    readonly user: string;
    /** Its password. */
    readonly password: string;
    /** Refuse sessions that have not logged in (default false). */
    readonly enforce?: boolean;
  };
  /** JVM heap bound; small so several fit on a test machine. */
  readonly heapMb?: number;
  /**
   * `startZookeeper` only, without `auth`: run inside this network namespace
   * (see netns.ts); `url` then works only there (for workers or peers on its hosts).
   */
  readonly netns?: NetworkNamespace;
}

/**
 * ZooKeeper keeps its data (transaction log and snapshots): stop(), restart()
 * and kill() keep every znode. Sessions are persisted too, so the ephemeral
 * nodes of a client that never comes back linger until its session times
 * out. (forceSync is off: writes reach the OS, not the disk, before the
 * reply, which survives a killed process but not a power cut.)
 */
export interface ZookeeperServer extends ServerHandle {
  /** The `myid` of this member (1-based; 1 for a standalone server). */
  readonly myid: number;
  /** The digest user, with `auth`. */
  readonly username: string | undefined;
  /** Its password, with `auth`. */
  readonly password: string | undefined;
}

export interface QuorumPeer {
  readonly myid: number;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
}

export interface ZookeeperMemberSpec {
  readonly myid: number;
  readonly allocation: Allocation;
  /** Every member of the ensemble; empty for a standalone server. */
  readonly peers: readonly QuorumPeer[];
  readonly options: ZookeeperOptions;
  readonly name: string;
  readonly url: string;
}

/** Start-up flags: a small heap and the C1 compiler only start a JVM in well under a second. */
function jvmArgs(heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms16m',
    '-Xss512k',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-XX:CICompilerCount=1',
    '-Xshare:auto',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dzookeeper.jmx.log4j.disable=true',
    '-Dzookeeper.admin.enableServer=false',
  ];
}

export function zookeeperConfig(spec: ZookeeperMemberSpec, dataDir: string): string {
  const { allocation } = spec;
  const lines = [
    // Short ticks make elections and session expiry quick; maxSessionTimeout keeps long sessions possible.
    'tickTime=500',
    'initLimit=20',
    'syncLimit=10',
    'minSessionTimeout=1000',
    'maxSessionTimeout=60000',
    `dataDir=${dataDir}`,
    `clientPort=${allocation.port}`,
    `clientPortAddress=${allocation.host}`,
    'maxClientCnxns=0',
    'admin.enableServer=false',
    '4lw.commands.whitelist=*',
    'forceSync=no',
    // The default preallocates 64 MB of log per file.
    'preAllocSize=1024',
    'standaloneEnabled=true',
  ];
  for (const peer of spec.peers) {
    lines.push(`server.${peer.myid}=${peer.host}:${peer.quorumPort}:${peer.electionPort}`);
  }
  if (spec.peers.length > 0) lines.push('cnxTimeout=1000');
  return `${lines.join('\n')}\n`;
}

export type ZookeeperMember = ManagedServer & ZookeeperServer;

/** One ZooKeeper server, started with java directly (the package's scripts assume a system service). */
export function zookeeperMember(spec: ZookeeperMemberSpec): ZookeeperMember {
  const java = findBinary('java');
  const classpath = zookeeperClasspath();
  const { dir, host, port, extraPorts } = spec.allocation;
  const { auth, netns } = spec.options;

  const server = new ManagedServer({
    name: spec.name,
    host,
    port,
    dir,
    extraPorts,
    url: spec.url,
    launch: async () => {
      const dataDir = join(dir, 'data');
      await mkdir(dataDir, { recursive: true });
      if (spec.peers.length > 0) await writeFile(join(dataDir, 'myid'), `${spec.myid}\n`);
      const configFile = join(dir, 'zoo.cfg');
      await writeFile(configFile, zookeeperConfig(spec, dataDir));
      const args = [...jvmArgs(spec.options.heapMb ?? 128)];
      if (auth?.enforce) args.push('-Dzookeeper.enforce.auth.enabled=true', '-Dzookeeper.enforce.auth.schemes=digest');
      args.push('-cp', classpath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', configFile);
      const launch = { command: java, args, cwd: dir };
      return netns ? netns.wrap(launch) : launch;
    },
    ready: async () => {
      const mode = netns ? await zookeeperModeIn(netns, { host, port }) : await zookeeperMode({ host, port });
      return mode === 'standalone' || mode === 'leader' || mode === 'follower';
    },
  });
  return Object.assign(server, { myid: spec.myid, username: auth?.user, password: auth?.password });
}

export function zookeeperUrl(hosts: readonly { host: string; port: number }[], auth: ZookeeperOptions['auth']): string {
  const login = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
  return `zookeeper://${login}${hosts.map((h) => `${h.host}:${h.port}`).join(',')}`;
}
