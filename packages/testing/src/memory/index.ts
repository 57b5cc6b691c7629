export { fromUrl, memory, memoryCapabilities, namedMemoryServer } from './memory-driver.js';
export { MemoryServer, type MemoryServerOptions } from './memory-server.js';
