import { sleep } from '@tooz/core/driver';
import { Exception } from 'node-zookeeper-client';
import { isSessionGone, toToozError, zkCode } from '../errors.js';
import type { ZkContext } from '../session.js';
import type { ZkClient } from './client.js';

/**
 * Deletes a node this session created, until the outcome is certain. A
 * delete lost with the connection is sent again (a lost release would leave
 * a lock held for as long as the session lives); a node of a session that has
 * ended is already gone. Resolves true if this call deleted it.
 */
export async function removeOwnNode(ctx: ZkContext, client: ZkClient, path: string): Promise<boolean> {
  const backoff = ctx.backoff();
  for (;;) {
    if (client !== ctx.connection.client || client.isAbandoned) return false;
    try {
      await client.remove(path);
      return true;
    } catch (error) {
      const code = zkCode(error);
      if (code === Exception.NO_NODE || isSessionGone(error)) return false;
      if (code !== Exception.CONNECTION_LOSS) throw toToozError(error, path);
    }
    await sleep(backoff.next(), ctx.scheduler);
  }
}
