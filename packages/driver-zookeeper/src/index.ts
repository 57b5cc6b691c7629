export {
  fromUrl,
  type ZookeeperDriver,
  type ZookeeperSessionInfo,
  zookeeper,
  zookeeperCapabilities,
} from './driver.js';
export type { ZookeeperOptions } from './options.js';
