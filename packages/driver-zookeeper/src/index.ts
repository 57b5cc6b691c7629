/**
 * ZooKeeper driver: Curator-grade recipes, session states, ensemble failover.
 *
 * @packageDocumentation
 * @module @tooz/driver-zookeeper
 */
export {
  fromUrl,
  type ZookeeperDriver,
  type ZookeeperSessionInfo,
  zookeeper,
  zookeeperCapabilities,
} from './driver.js';
export type { ZookeeperOptions } from './options.js';
