/**
 * Embedded default: every primitive for processes on one host, on OS file locks.
 *
 * @packageDocumentation
 * @module @tooz/driver-file
 */
export { file, fileCapabilities, fromUrl } from './driver.js';
export type { FileOptions, FileSettings } from './options.js';
export type { FileSession } from './session.js';
