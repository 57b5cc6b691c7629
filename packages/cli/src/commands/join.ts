import { type Capabilities, isToozError, type MembershipLostError } from '@tooz/core';
import { lastValueFrom, retry, takeUntil, tap, throwError, timer } from 'rxjs';
import { parseCapabilities } from '../capabilities-arg.js';
import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { aborted$ } from '../interrupts.js';

/** Pause before joining again after the membership was lost, so a flapping backend is not hammered. */
const REJOIN_DELAY_MS = 1_000;

export interface JoinOptions {
  readonly capabilities: Capabilities;
  readonly create: boolean;
  readonly json: boolean;
}

/** The options as given on the command line; InvalidArgumentError names the flag. */
export function joinOptions(given: { capabilities?: string; create?: boolean; json?: boolean }): JoinOptions {
  return {
    capabilities: parseCapabilities(given.capabilities),
    create: given.create === true,
    json: given.json === true,
  };
}

/**
 * `tooz join <group>`: a member until interrupted (its normal end: it leaves,
 * then exits 0). A membership the backend drops (session expired, TTL
 * passed) is reported and joined again.
 */
export async function join({ coordinator, ui, interrupted }: CommandContext, group: string, options: JoinOptions) {
  const { capabilities } = options;
  const target = coordinator.group(group);
  if (options.create) {
    await target.create().catch((error: unknown) => {
      if (!isToozError(error, 'GROUP_ALREADY_EXISTS')) throw error;
    });
  }
  const report = (event: 'joined' | 'lost', reason?: string) => {
    if (options.json) ui.json({ time: new Date().toISOString(), group, member: coordinator.memberId, event, reason });
  };
  ui.progress.waiting(() => `joining group "${group}" as ${coordinator.memberId}`);
  await lastValueFrom(
    target.join(capabilities).pipe(
      tap(() => {
        report('joined');
        ui.progress.done(`joined group "${group}" as ${coordinator.memberId} (Ctrl-C to leave)`);
      }),
      retry({
        delay: (error: unknown) => {
          if (!isToozError(error, 'MEMBERSHIP_LOST')) return throwError(() => error);
          const reason = (error as MembershipLostError).reason;
          report('lost', reason);
          ui.warn(`membership of "${group}" lost (${reason}); joining again`);
          return timer(REJOIN_DELAY_MS);
        },
      }),
      takeUntil(aborted$(interrupted)),
    ),
    { defaultValue: undefined },
  );
  ui.progress.done();
  return EXIT.ok;
}
