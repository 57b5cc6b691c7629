export { fileCapabilities } from './capabilities.js';
export { file, fromUrl } from './driver.js';
export type { FileOptions } from './options.js';
export type { FileSession } from './session.js';
