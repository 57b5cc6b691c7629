import type { LockLease } from '@tooz/core';
import { ChildCommand } from '../child-command.js';
import type { CommandContext } from '../command-context.js';
import { parseDuration } from '../durations.js';
import { exitCodeFor, signalExitCode } from '../exit-codes.js';
import { describeError } from '../describe-error.js';

export interface LockOptions {
  /** ms; undefined waits for ever, 0 tries once. */
  readonly wait: number | undefined;
  /** ms between SIGTERM and SIGKILL when the lock is lost. */
  readonly grace: number;
}

/** `--wait` and `--grace` as given on the command line; InvalidArgumentError names the flag. */
export function lockOptions(given: { wait?: string; grace: string }): LockOptions {
  return {
    wait: given.wait === undefined ? undefined : parseDuration(given.wait, '--wait'),
    grace: parseDuration(given.grace, '--grace'),
  };
}

/** Says on stderr when the lease can no longer be proven, and when it can again. */
function reportRisk(context: CommandContext, lease: LockLease): void {
  let previous = lease.state;
  lease.state$.subscribe((state) => {
    if (state === previous) return;
    if (state === 'at-risk') context.ui.warn(`lock "${lease.name}" at risk: its hold cannot be proven right now`);
    if (state === 'held' && previous === 'at-risk') context.ui.warn(`lock "${lease.name}" held again`);
    previous = state;
  });
}

/**
 * `tooz lock <name> -- <command...>`: runs the command while holding the
 * lock, like flock(1) across hosts. The command gets the fencing token in
 * TOOZ_FENCING_TOKEN. The lock is released only once the command has
 * exited, so two holders' commands never overlap; if the lock is lost, the
 * command gets SIGTERM, SIGKILL after `--grace`, and tooz exits 4.
 * Otherwise the command's own exit status is passed through.
 */
export function lock(context: CommandContext, name: string, argv: readonly string[], options: LockOptions) {
  const { coordinator, ui, interrupted } = context;
  const { wait, grace } = options;
  let held = '';
  // Only for the status line: who is in the way, if anyone.
  coordinator.lockHolder(name).then(
    (holder) => {
      if (!holder) return;
      held = ` (held by ${holder.memberId}, token ${holder.token})`;
      ui.progress.render();
    },
    () => undefined,
  );
  ui.progress.waiting(() => `waiting for lock "${name}"${held}`);
  return new Promise<number>((resolve, reject) => {
    let command: ChildCommand | undefined;
    let failure: unknown;
    const subscription = coordinator.lock(name, wait === undefined ? {} : { wait }).subscribe({
      next: (lease) => {
        ui.progress.done(`lock "${name}" acquired (fencing token ${lease.fencingToken})`);
        reportRisk(context, lease);
        const env = { TOOZ_FENCING_TOKEN: String(lease.fencingToken), TOOZ_LOCK: name };
        const running = new ChildCommand(argv, env, (message) => ui.warn(message));
        command = running;
        void running.status.then((status) => {
          // Released only now that the command has exited: the next holder's command cannot overlap it.
          subscription.unsubscribe();
          resolve(failure === undefined ? status : exitCodeFor(failure));
        });
      },
      error: (error: unknown) => {
        ui.progress.done();
        if (!command) return reject(error);
        failure = error;
        ui.warn(`${describeError(error)}: stopping the command (SIGTERM, then SIGKILL after ${grace} ms)`);
        void command.stop(grace);
      },
    });
    const onInterrupt = () => {
      const signal = interrupted.reason as NodeJS.Signals;
      // A running command decides how it ends (its status is passed through); a wait just stops.
      if (command) return command.signal(signal);
      subscription.unsubscribe();
      ui.progress.done();
      resolve(signalExitCode(signal));
    };
    if (interrupted.aborted) onInterrupt();
    else interrupted.addEventListener('abort', onInterrupt, { once: true });
  });
}
