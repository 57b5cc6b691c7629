// Real servers for tests: each start* function runs the Debian package's
// server on a free loopback port in its own temporary directory, and returns
// an AsyncDisposable handle. See the "Real-server fixtures" section of packages/testing/README.md.
export { generateCerts, type CertOptions } from './certs.js';
export { cleanupEverythingNow, liveResources } from './cleanup-registry.js';
export { TEMPLATE_CACHE_DIR } from './data-template.js';
export { type EtcdCluster, startEtcdCluster } from './etcd-cluster.js';
export { type EtcdOptions, type EtcdServer, startEtcd } from './etcd.js';
export { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './fault-proxy.js';
export { claimPort, releasePort } from './free-port.js';
export { memcachedAuthCommand, type MemcachedOptions, type MemcachedServer, startMemcached } from './memcached.js';
export { NetnsHost } from './netns-host.js';
export { type NetworkNamespace, startNetns } from './netns.js';
export { Peer, type PeerEvent, type PeerOptions, startPeer } from './peer/peer.js';
export type { PeerCommand, PeerReport } from './peer/peer-protocol.js';
export { type MysqlOptions, type MysqlServer, startMysql } from './mysql.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { isProcessAlive } from './process-alive.js';
export type { LaunchSpec } from './server-process.js';
export { type RedisOptions, type RedisPersistence, type RedisServer, startRedis } from './redis.js';
export { type RedisSentinelCluster, type RedisSentinelOptions, startRedisSentinel } from './redis-sentinel.js';
export { fixturesTmpDir } from './fixtures-tmpdir.js';
export { type ForeignCerts, generateForeignCerts } from './foreign-certs.js';
export { TEMP_DIR_PREFIX } from './temp-dir.js';
export type { CertPaths, ClusterHandle, ServerHandle, TlsOptions } from './types.js';
export { watchdogPid } from './watchdog.js';
export { type ZookeeperEnsemble, startZookeeperEnsemble } from './zookeeper-ensemble.js';
export { startZookeeper, type ZookeeperOptions, type ZookeeperServer } from './zookeeper.js';
export { zookeeperDigestId, zookeeperListError } from './probes/zookeeper-wire.js';
export {
  type ConsulOptions,
  type ConsulServer,
  type KvEntry as ConsulKvEntry,
  type SessionRecord as ConsulSessionRecord,
  startConsul,
} from './consul/index.js';
