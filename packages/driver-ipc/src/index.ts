/**
 * Crash-safe locks, groups and leadership for processes on one Linux host, on System V semaphores,
 * interoperable with Python tooz's ipc driver.
 *
 * @packageDocumentation
 * @module @tooz/driver-ipc
 */
export { fromUrl, ipc, ipcCapabilities } from './driver.js';
export { ftok, IpcKeys } from './keys.js';
export type { IpcOptions, IpcSettings } from './options.js';
export type { IpcSession } from './session.js';
