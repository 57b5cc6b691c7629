export { file, fileCapabilities, fromUrl } from './driver.js';
export type { FileOptions, FileSettings } from './options.js';
export type { FileSession } from './session.js';
