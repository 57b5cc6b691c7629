/**
 * The `memory://` driver: an in-process backend with TTLs, push notifications and fault injection,
 * on any RxJS scheduler (a TestScheduler for virtual time).
 *
 * @packageDocumentation
 * @module @tooz/testing/memory
 */
export {
  fromUrl,
  type MemoryDriverOptions,
  memory,
  memoryCapabilities,
  memoryPollCapabilities,
  namedMemoryServer,
} from './memory-driver.js';
export { MemoryServer, type MemoryServerOptions } from './memory-server.js';
