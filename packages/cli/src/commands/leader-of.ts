import type { Coordinator } from '@tooz/core';
import { firstValueFrom } from 'rxjs';

/** Who leads the group now, or null. NotSupportedError when the driver has no leadership. */
export function leaderOf(coordinator: Coordinator, group: string): Promise<string | null> {
  return firstValueFrom(coordinator.leadership(group).leader$);
}

/** The same, or undefined when the driver has no leadership (for views where it is an extra). */
export async function leaderIfAny(coordinator: Coordinator, group: string): Promise<string | null | undefined> {
  return coordinator.driver.capabilities.primitives.leadership ? leaderOf(coordinator, group) : undefined;
}
