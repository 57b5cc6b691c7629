export { zookeeperCapabilities } from './capabilities.js';
export { fromUrl, type ZookeeperDriver, type ZookeeperSessionInfo, zookeeper } from './driver.js';
export type { ZookeeperOptions } from './options.js';
