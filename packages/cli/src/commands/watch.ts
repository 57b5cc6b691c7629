import { EMPTY, lastValueFrom, map, merge, takeUntil, tap } from 'rxjs';
import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { aborted$ } from '../interrupts.js';
import { eventLine, formatLine, now, type WatchLine } from './watch-lines.js';

/**
 * `tooz watch <group>`: the members present when watching starts, then
 * every join, update and leave, and every change of leader, one line each,
 * until interrupted (its normal end: exit 0).
 */
export async function watch(
  { coordinator, ui, interrupted }: CommandContext,
  group: string,
  options: { json?: boolean },
): Promise<number> {
  const print = (line: WatchLine) => (options.json ? ui.json(line) : ui.out(formatLine(line)));
  // Armed before the first line: every change after the members listed here is an event.
  using watching = await coordinator.group(group).watch();
  for (const [member, capabilities] of [...watching.members].sort(([a], [b]) => a.localeCompare(b))) {
    print({ time: now(), group, event: 'present', member, capabilities });
  }
  const leaders$ = coordinator.driver.capabilities.primitives.leadership
    ? coordinator
        .leadership(group)
        .leader$.pipe(map((leader): WatchLine => ({ time: now(), group, event: 'leader', leader })))
    : EMPTY;
  ui.progress.waiting(() => `watching group "${group}" (Ctrl-C to stop)`);
  try {
    await lastValueFrom(
      merge(watching.events$.pipe(map(eventLine)), leaders$).pipe(takeUntil(aborted$(interrupted)), tap(print)),
      { defaultValue: undefined },
    );
  } finally {
    ui.progress.done();
  }
  return EXIT.ok;
}
