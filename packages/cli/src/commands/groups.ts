import { isToozError } from '@tooz/core';
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../ui/table.js';

/** Groups read at once; enough to be quick, few enough not to flood the backend. */
const CONCURRENCY = 8;

/** `tooz groups`: every group and how many members it has. */
export async function groups({ coordinator, ui }: CommandContext, options: { json?: boolean }): Promise<number> {
  const ids = [...(await coordinator.groups())].sort();
  const counted = await lastValueFrom(
    from(ids).pipe(
      mergeMap(async (group) => {
        try {
          return { group, members: (await coordinator.group(group).members()).size };
        } catch (error) {
          // Deleted between the listing and the read: it is simply gone.
          if (isToozError(error, 'GROUP_NOT_FOUND')) return undefined;
          throw error;
        }
      }, CONCURRENCY),
      toArray(),
    ),
  );
  const rows = counted.filter((row) => row !== undefined).sort((a, b) => a.group.localeCompare(b.group));
  if (options.json) ui.json(rows);
  else if (rows.length === 0) ui.progress.note('no groups');
  else
    ui.out(
      table(
        ['GROUP', 'MEMBERS'],
        rows.map((row) => [row.group, String(row.members)]),
      ),
    );
  return EXIT.ok;
}
