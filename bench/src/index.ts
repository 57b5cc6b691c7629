import { main as coreOverhead } from './core-overhead.js';

await coreOverhead();
