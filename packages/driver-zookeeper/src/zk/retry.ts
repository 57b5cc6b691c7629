import { Exception } from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import type { ZkClient } from './client.js';
import type { ZkConnection } from './connection.js';
import { isSessionGone, toToozError, zkCode } from './errors.js';

/**
 * Pause before re-sending a request that failed with a connection loss. The
 * client queues requests while it reconnects, so the pause only keeps a
 * client that fails at once from spinning.
 */
export const RETRY_PAUSE = 50;

export function pause(scheduler: SchedulerLike, ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.schedule(() => resolve(), ms));
}

/**
 * Deletes a node this session created, until the outcome is certain. A
 * delete lost with the connection is sent again (a lost release would leave
 * a lock held for as long as the session lives); a node of a session that has
 * ended is already gone. Resolves true if this call deleted it.
 */
export async function removeOwnNode(
  connection: ZkConnection,
  client: ZkClient,
  path: string,
  scheduler: SchedulerLike,
  version = -1,
): Promise<boolean> {
  for (;;) {
    if (client !== connection.client || client.isAbandoned) return false;
    try {
      await client.remove(path, version);
      return true;
    } catch (error) {
      const code = zkCode(error);
      if (code === Exception.NO_NODE || isSessionGone(error)) return false;
      if (code !== Exception.CONNECTION_LOSS) throw toToozError(error, path);
    }
    await pause(scheduler, RETRY_PAUSE);
  }
}
