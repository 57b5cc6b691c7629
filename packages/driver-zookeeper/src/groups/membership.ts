import {
  type EncodedCapabilities,
  type GroupBackend,
  GroupNotFoundError,
  type MemberHandle,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
} from '@tooz/core';
import { CreateMode, Exception } from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import type { ZkContext } from '../context.js';
import type { ZkClient } from '../zk/client.js';
import { isSessionGone, toToozError, zkCode } from '../zk/errors.js';
import { pause, RETRY_PAUSE } from '../zk/retry.js';
import { OwnNodeWatch } from './own-node.js';

interface ZkMemberHandle extends MemberHandle {
  readonly path: string;
  readonly client: ZkClient;
  readonly watch: OwnNodeWatch;
}

/** A member handle whose node is watched for deletion by anyone else. */
async function watchedMember(path: string, client: ZkClient, scheduler: SchedulerLike): Promise<ZkMemberHandle> {
  const watch = new OwnNodeWatch(client, path, scheduler);
  await watch.arm();
  return { path, client, watch, lost$: watch.lost$ };
}

/** Bound on attempts of one call through connection losses and session changes. */
const ATTEMPTS = 20;

/**
 * This member's own node in a group: joined while it exists (ephemeral, so
 * it goes with the session), holding the msgpack capabilities.
 */
export function membership(ctx: ZkContext): Pick<GroupBackend, 'join' | 'leave' | 'update'> {
  const { connection, layout, memberId, scheduler, acl } = ctx;

  async function ownedBy(client: ZkClient, path: string): Promise<boolean> {
    const stat = await client.exists(path);
    return stat?.ephemeralOwner.equals(client.sessionId) ?? false;
  }

  return {
    async join(group, capabilities): Promise<MemberHandle> {
      const path = layout.member(group, memberId);
      let uncertain = false;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const client = connection.client;
        try {
          await client.create(path, capabilities, acl, CreateMode.EPHEMERAL);
        } catch (error) {
          const code = zkCode(error);
          if (code === Exception.NODE_EXISTS) {
            // After a create lost with the connection, the node may be our own.
            if (uncertain && (await ownedBy(client, path).catch(() => false)))
              return watchedMember(path, client, scheduler);
            throw new MemberAlreadyJoinedError(group, memberId);
          }
          if (code === Exception.NO_NODE) throw new GroupNotFoundError(group);
          if (code === Exception.CONNECTION_LOSS) uncertain = true;
          else if (isSessionGone(error)) uncertain = false;
          else throw toToozError(error, path);
          await pause(scheduler, RETRY_PAUSE);
          continue;
        }
        // Only once the node is ours: sent with the create, a failed join would leave a watch on another member's node.
        return watchedMember(path, client, scheduler);
      }
      throw toToozError(new Error('could not join through repeated connection losses'), path);
    },

    async leave(group, handle) {
      const { path, client, watch } = handle as ZkMemberHandle;
      watch.stop();
      let maybeRemoved = false;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        // A node of an ended session is gone with it.
        if (client !== connection.client || client.isAbandoned) return;
        try {
          // Only our own node: a member of the same id in another session must stay.
          const stat = await client.exists(path);
          if (!stat || !stat.ephemeralOwner.equals(client.sessionId)) {
            if (maybeRemoved) return;
            throw new MemberNotJoinedError(group, memberId);
          }
          maybeRemoved = true;
          await client.remove(path, stat.version);
          return;
        } catch (error) {
          if (error instanceof MemberNotJoinedError) throw error;
          const code = zkCode(error);
          if (code === Exception.NO_NODE || isSessionGone(error)) return;
          // BAD_VERSION: updated meanwhile; CONNECTION_LOSS: sent again (a lost leave would last as long as the session).
          if (code === Exception.BAD_VERSION) maybeRemoved = false;
          else if (code !== Exception.CONNECTION_LOSS) throw toToozError(error, path);
        }
        await pause(scheduler, RETRY_PAUSE);
      }
    },

    async update(group, handle, capabilities: EncodedCapabilities) {
      const { path, client } = handle as ZkMemberHandle;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (client !== connection.client || client.isAbandoned) break;
        try {
          await client.setData(path, capabilities);
          return;
        } catch (error) {
          const code = zkCode(error);
          if (code === Exception.NO_NODE || isSessionGone(error)) break;
          if (code !== Exception.CONNECTION_LOSS) throw toToozError(error, path);
        }
        await pause(scheduler, RETRY_PAUSE);
      }
      throw new MemberNotJoinedError(group, memberId);
    },
  };
}
