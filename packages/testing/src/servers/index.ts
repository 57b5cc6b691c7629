/**
 * Real servers for tests: each `start*` function runs the Debian package's server on a free
 * loopback port in its own temporary directory, and returns an AsyncDisposable handle.
 *
 * @packageDocumentation
 * @module @tooz/testing/fixtures
 */
// Real servers for tests: each start* function runs the Debian package's
// server on a free loopback port in its own temporary directory, and returns
// an AsyncDisposable handle. See the "Real-server fixtures" section of packages/testing/README.md.
// This is the `@tooz/testing/fixtures` entry (also re-exported by the main
// one): it must never import vitest. Kit internals go to ../internal.ts.
export { type EtcdCluster, startEtcdCluster } from './etcd-cluster.js';
export { type EtcdOptions, type EtcdServer, startEtcd } from './etcd.js';
export { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './fault-proxy.js';
export { memcachedAuthCommand, type MemcachedOptions, type MemcachedServer, startMemcached } from './memcached.js';
export { NetnsHost } from './netns-host.js';
export { type NetworkNamespace, startNetns } from './netns.js';
export { Peer, type PeerEvent, type PeerOptions, startPeer } from './peer/peer.js';
export type { PeerCommand, PeerReport } from './peer/peer-protocol.js';
export { type MysqlOptions, type MysqlServer, startMysql } from './mysql.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export type { LaunchSpec } from './server-process.js';
export { type RedisOptions, type RedisPersistence, type RedisServer, startRedis } from './redis.js';
export { type RedisSentinelCluster, type RedisSentinelOptions, startRedisSentinel } from './redis-sentinel.js';
export type { CertPaths, ClusterHandle, ServerHandle, TlsOptions } from './types.js';
export { type ZookeeperEnsemble, startZookeeperEnsemble } from './zookeeper-ensemble.js';
export { startZookeeper, type ZookeeperOptions, type ZookeeperServer } from './zookeeper.js';
export {
  type ConsulOptions,
  type ConsulServer,
  type KvEntry as ConsulKvEntry,
  type SessionRecord as ConsulSessionRecord,
  startConsul,
} from './consul/index.js';
