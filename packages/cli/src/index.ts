export { EXIT, signalExitCode } from './exit-codes.js';
export { main } from './main.js';
export { buildProgram, type Runner } from './program.js';
export { runCommand } from './run-command.js';
