import type { Coordinator } from '@tooz/core';
import { killAllCommands } from './child-command.js';
import type { CommandBody } from './command-context.js';
import type { GlobalOptions } from './connect-options.js';
import { openCoordinator } from './connection.js';
import { exitCodeFor, signalExitCode } from './exit-codes.js';
import { Interrupts, whenAborted } from './interrupts.js';
import { describeError } from './describe-error.js';
import { Ui } from './ui/ui.js';

/** How long closing may take: releases are confirmed by then, or end with their TTL or session. */
const CLOSE_BOUND_MS = 15_000;

/**
 * Runs one command: connects, runs its body, and closes the coordinator
 * whatever happens, which releases and leaves everything still held before
 * tooz exits (Ctrl-C included). Resolves with the exit code.
 */
export async function runCommand(globals: GlobalOptions, body: CommandBody): Promise<number> {
  const ui = new Ui(process.stdout, process.stderr, globals.quiet === true);
  using interrupts = new Interrupts((signal) => {
    ui.warn(`${signal} again: exiting without waiting for the release (what was held ends with its TTL or session)`);
    killAllCommands();
    process.exit(signalExitCode(signal));
  });
  const started = Date.now();
  let coordinator: Coordinator;
  try {
    const opening = openCoordinator(globals, ui);
    const interrupted = whenAborted(interrupts.signal).then(() => undefined);
    const opened = await Promise.race([opening, interrupted]);
    if (!opened) {
      // Whatever the connect still does, it holds nothing yet; it is closed if it ever completes.
      opening.then((late) => late.close()).catch(() => undefined);
      return signalExitCode(interrupts.received ?? 'SIGINT');
    }
    coordinator = opened;
  } catch (error) {
    ui.warn(describeError(error));
    return exitCodeFor(error);
  }
  try {
    return await body({ coordinator, ui, interrupted: interrupts.signal, connectMs: Date.now() - started });
  } catch (error) {
    ui.warn(describeError(error));
    return exitCodeFor(error);
  } finally {
    await closeWithin(coordinator, ui);
  }
}

async function closeWithin(coordinator: Coordinator, ui: Ui): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLOSE_BOUND_MS);
  });
  ui.progress.waiting(() => 'releasing what is held and disconnecting');
  try {
    const result = await Promise.race([coordinator.close().then(() => 'closed' as const), outOfTime]);
    if (result === 'timeout') {
      ui.warn(
        `the backend did not confirm the release within ${CLOSE_BOUND_MS / 1000}s; what was held ends with its TTL or session`,
      );
    }
  } catch (error) {
    ui.warn(`closing failed: ${describeError(error)}`);
  } finally {
    clearTimeout(timer);
    ui.progress.done();
  }
}
