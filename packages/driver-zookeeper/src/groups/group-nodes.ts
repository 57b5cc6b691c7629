import { type GroupBackend, GroupAlreadyExistsError, GroupNotEmptyError, GroupNotFoundError } from '@tooz/core';
import { CreateMode, Exception } from 'node-zookeeper-client';
import type { ZkContext } from '../context.js';
import { LEADER_NODE, memberIdOf } from '../layout.js';
import type { ZkClient } from '../zk/client.js';
import { toToozError, zkCode } from '../zk/errors.js';
import { storedCapabilities } from './capabilities.js';

/** The group nodes themselves: create, delete, list, and the members' snapshot. */
export function groupNodes(ctx: ZkContext): Pick<GroupBackend, 'create' | 'delete' | 'list' | 'members'> {
  const { connection, layout, acl } = ctx;

  return {
    async create(group) {
      const path = layout.group(group);
      for (let attempt = 0; ; attempt++) {
        const client = connection.client;
        try {
          await client.create(path, undefined, acl, CreateMode.PERSISTENT);
          return;
        } catch (error) {
          const code = zkCode(error);
          if (code === Exception.NODE_EXISTS) throw new GroupAlreadyExistsError(group);
          // The namespace node went missing (deleted by hand): make it again, once.
          if (code !== Exception.NO_NODE || attempt > 0) throw toToozError(error, path);
          await client.mkdirp(layout.root, acl).catch((mkdirError: unknown) => {
            throw toToozError(mkdirError, layout.root);
          });
        }
      }
    },

    async delete(group) {
      const path = layout.group(group);
      const client = connection.client;
      try {
        await client.remove(path);
        return;
      } catch (error) {
        const code = zkCode(error);
        if (code === Exception.NO_NODE) throw new GroupNotFoundError(group);
        if (code !== Exception.NOT_EMPTY) throw toToozError(error, path);
      }
      // Not empty: if all that is left is an idle leader queue (Python tooz leaves one), both go at once.
      const children = await groupChildren(client, group, path);
      if (children.length === 0 || children.some((name) => name !== LEADER_NODE)) throw new GroupNotEmptyError(group);
      try {
        await client.commit((transaction) => transaction.remove(`${path}/${LEADER_NODE}`).remove(path));
      } catch (error) {
        const code = zkCode(error);
        // Someone is a leader candidate, or joined meanwhile.
        if (code === Exception.NOT_EMPTY) throw new GroupNotEmptyError(group);
        if (code === Exception.NO_NODE) throw new GroupNotFoundError(group);
        throw toToozError(error, path);
      }
    },

    async list() {
      try {
        const { children } = await connection.client.getChildren(layout.root);
        return layout.groupIds(children);
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return [];
        throw toToozError(error, layout.root);
      }
    },

    async members(group) {
      const path = layout.group(group);
      const client = connection.client;
      const children = await groupChildren(client, group, path);
      // All reads go out at once: one round trip for the lot. Members that left meanwhile are skipped.
      const entries = await Promise.all(
        layout.memberNodes(children).map((name) =>
          client.getData(`${path}/${name}`).then(
            ({ data }) => [memberIdOf(name), storedCapabilities(data)] as const,
            (error: unknown) => {
              if (zkCode(error) === Exception.NO_NODE) return undefined;
              throw toToozError(error, path);
            },
          ),
        ),
      );
      return new Map(entries.filter((entry) => entry !== undefined));
    },
  };
}

/** A group node's children; a group that does not exist is `GroupNotFoundError`. */
async function groupChildren(client: ZkClient, group: string, path: string): Promise<string[]> {
  try {
    return (await client.getChildren(path)).children;
  } catch (error) {
    if (zkCode(error) === Exception.NO_NODE) throw new GroupNotFoundError(group);
    throw toToozError(error, path);
  }
}
