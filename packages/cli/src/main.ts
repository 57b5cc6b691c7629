import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';
import { runCommand } from './run-command.js';

/** Runs `tooz` with `argv` (as process.argv: node, script, arguments...); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const exitCode: { value: number } = { value: EXIT.ok };
  try {
    await buildProgram(runCommand, exitCode).parseAsync([...argv]);
  } catch (error) {
    // Commander has printed the message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode.value;
}
