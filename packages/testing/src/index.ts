export * from './conformance/index.js';
export * from './memory/index.js';
