/**
 * The tooz command: inspect groups, leaders and locks, watch a group, run a command under a lock
 * or while leading, check a backend; on any tooz URL.
 *
 * @packageDocumentation
 * @module @tooz/cli
 */
export { EXIT, signalExitCode } from './exit-codes.js';
export { main } from './main.js';
export { buildProgram, type Runner } from './program.js';
export { runCommand } from './run-command.js';
