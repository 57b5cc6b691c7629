import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../ui/table.js';

/** `tooz lock-holder <name>`: who holds the lock now and with which fencing token. */
export async function lockHolder(
  { coordinator, ui }: CommandContext,
  name: string,
  options: { json?: boolean },
): Promise<number> {
  const holder = await coordinator.lockHolder(name);
  if (options.json) ui.json({ lock: name, holder: holder?.memberId ?? null, token: holder?.token ?? null });
  else
    ui.out(
      table(['LOCK', 'HOLDER', 'TOKEN'], [[name, holder?.memberId ?? '(free)', holder ? String(holder.token) : '']]),
    );
  return EXIT.ok;
}
