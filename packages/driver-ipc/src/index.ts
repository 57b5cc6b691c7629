export { fromUrl, ipc, ipcCapabilities } from './driver.js';
export { ftok, IpcKeys } from './keys.js';
export type { IpcOptions, IpcSettings } from './options.js';
export type { IpcSession } from './session.js';
