import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { toJson } from '../ui/json.js';
import { table } from '../ui/table.js';
import { leaderIfAny } from './leader-of.js';

/** `tooz members <group>`: each member with its capabilities (decoded from msgpack), and who leads. */
export async function members(
  { coordinator, ui }: CommandContext,
  group: string,
  options: { json?: boolean },
): Promise<number> {
  const [found, leader] = await Promise.all([coordinator.group(group).members(), leaderIfAny(coordinator, group)]);
  const rows = [...found].sort(([a], [b]) => a.localeCompare(b));
  if (options.json) {
    ui.json({
      group,
      leader: leader ?? null,
      members: rows.map(([member, capabilities]) => ({ member, capabilities })),
    });
  } else if (rows.length === 0) {
    ui.progress.note(`group "${group}" has no members`);
  } else {
    ui.out(
      table(
        ['MEMBER', 'LEADER', 'CAPABILITIES'],
        rows.map(([member, capabilities]) => [member, member === leader ? '*' : '', toJson(capabilities)]),
      ),
    );
  }
  return EXIT.ok;
}
