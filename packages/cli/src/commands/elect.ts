import type { Subscription } from 'rxjs';
import { ChildCommand } from '../child-command.js';
import type { CommandContext } from '../command-context.js';
import { describeError } from '../describe-error.js';
import { parseDuration } from '../durations.js';
import { exitCodeFor, signalExitCode } from '../exit-codes.js';

export interface ElectOptions {
  readonly restart: boolean;
  /** ms between SIGTERM and SIGKILL. */
  readonly grace: number;
}

/** `--restart` and `--grace` as given on the command line; InvalidArgumentError names the flag. */
export function electOptions(given: { restart?: boolean; grace: string }): ElectOptions {
  return { restart: given.restart === true, grace: parseDuration(given.grace, '--grace') };
}

/** The signal that asks a leading `tooz elect` to stand down (SIGUSR1 belongs to Node's inspector). */
export const STAND_DOWN_SIGNAL = 'SIGUSR2';

/**
 * `tooz elect <group> -- <command...>`: stands for leadership of the group
 * and runs the command only while leading. The command starts when elected
 * (TOOZ_FENCING_TOKEN carries the term's token) and is stopped (SIGTERM,
 * SIGKILL after `--grace`) the moment leadership cannot be proven (lost, or
 * the connection suspended) or on a stand-down (SIGUSR2); tooz stays a
 * candidate and runs it again when elected again. When the command ends on
 * its own, tooz exits with its status, or with `--restart` stands down and
 * stands again.
 */
export function elect(context: CommandContext, group: string, argv: readonly string[], options: ElectOptions) {
  const { coordinator, ui, interrupted } = context;
  const { grace } = options;
  const leadership = coordinator.leadership(group);
  let leader = '';
  const leaders = leadership.leader$.subscribe({
    next: (id) => {
      leader = id ? ` (leader: ${id})` : ' (no leader)';
      ui.progress.render();
    },
    error: () => undefined,
  });
  const standing = () => ui.progress.waiting(() => `standing for leadership of "${group}"${leader}`);

  return new Promise<number>((resolve) => {
    let leading = false;
    let command: ChildCommand | undefined;
    let standDownAfterStop = false;
    let failure: unknown;
    let finished = false;

    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      process.off(STAND_DOWN_SIGNAL, standDown);
      interrupted.removeEventListener('abort', onInterrupt);
      candidacy?.unsubscribe();
      leaders.unsubscribe();
      ui.progress.done();
      resolve(status);
    };

    const start = () => {
      if (finished || command || !leading || interrupted.aborted) return;
      const term = leadership.term;
      ui.progress.done(`leading "${group}" (term ${term}): running the command`);
      const running = new ChildCommand(argv, { TOOZ_FENCING_TOKEN: String(term ?? ''), TOOZ_GROUP: group }, (m) =>
        ui.warn(m),
      );
      command = running;
      void running.status.then((status) => ended(running, status));
    };

    const ended = (running: ChildCommand, status: number) => {
      command = undefined;
      if (interrupted.aborted) return finish(status);
      if (failure !== undefined) return finish(exitCodeFor(failure));
      if (running.stopped) {
        // Stopped by tooz: leadership was lost, or a stand-down asked for.
        if (standDownAfterStop) {
          standDownAfterStop = false;
          giveUpSeat();
        } else if (leading) return start();
        return standing();
      }
      if (!options.restart) return finish(status);
      ui.progress.note(`the command exited with status ${status}: standing down, then standing again`);
      giveUpSeat();
      standing();
    };

    const stop = (why: string) => {
      if (!command || command.stopped) return;
      ui.warn(`${why}: stopping the command (SIGTERM, then SIGKILL after ${grace} ms)`);
      void command.stop(grace);
    };

    const standDown = () => {
      if (!leading) return;
      if (command) {
        standDownAfterStop = true;
        stop(`standing down from "${group}"`);
      } else giveUpSeat();
    };

    // The seat goes to another candidate if there is one; this one stays a candidate.
    const giveUpSeat = () => void leadership.standDown().catch((error: unknown) => ui.warn(describeError(error)));

    const onInterrupt = () => {
      if (command) command.signal(interrupted.reason as NodeJS.Signals);
      else finish(signalExitCode(interrupted.reason as NodeJS.Signals));
    };

    standing();
    let candidacy: Subscription | undefined;
    candidacy = leadership.subscribe({
      next: (value) => {
        leading = value;
        if (value) start();
        else stop(`leadership of "${group}" cannot be proven any more`);
      },
      error: (error: unknown) => {
        failure = error;
        if (command) stop(describeError(error));
        else {
          ui.warn(describeError(error));
          finish(exitCodeFor(error));
        }
      },
    });
    if (finished) candidacy.unsubscribe();
    else process.on(STAND_DOWN_SIGNAL, standDown);
    if (interrupted.aborted) onInterrupt();
    else interrupted.addEventListener('abort', onInterrupt, { once: true });
  });
}
