import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../ui/table.js';
import { leaderOf } from './leader-of.js';

/** `tooz leader <group>`: who leads the group now. */
export async function leader(
  { coordinator, ui }: CommandContext,
  group: string,
  options: { json?: boolean },
): Promise<number> {
  const found = await leaderOf(coordinator, group);
  if (options.json) ui.json({ group, leader: found });
  else ui.out(table(['GROUP', 'LEADER'], [[group, found ?? '(none)']]));
  return EXIT.ok;
}
