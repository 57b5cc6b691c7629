export * from './errors.js';
export { registerSecret, redact } from './redact.js';
export { isToozError, ToozError, type ToozErrorCode } from './tooz-error.js';
