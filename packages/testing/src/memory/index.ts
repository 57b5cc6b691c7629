export {
  fromUrl,
  type MemoryDriverOptions,
  memory,
  memoryCapabilities,
  memoryPollCapabilities,
  namedMemoryServer,
} from './memory-driver.js';
export { MemoryServer, type MemoryServerOptions } from './memory-server.js';
