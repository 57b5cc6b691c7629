import {
  type EncodedCapabilities,
  type GroupBackend,
  GroupAlreadyExistsError,
  type GroupChange,
  type GroupId,
  GroupNotEmptyError,
  GroupNotFoundError,
  MemberAlreadyJoinedError,
  type MemberHandle,
  MemberNotJoinedError,
  SharedWatches,
  sleep,
} from '@tooz/core/driver';
import { CreateMode, Exception } from 'node-zookeeper-client';
import type { Observable } from 'rxjs';
import { isSessionGone, toToozError, zkCode } from './errors.js';
import { groupWatch, storedCapabilities } from './groups/group-watch.js';
import { OwnNodeWatch } from './groups/own-node.js';
import { LEADER_NODE } from './keys.js';
import type { ZkContext } from './session.js';
import type { ZkClient } from './zk/client.js';

export interface ZookeeperMemberHandle extends MemberHandle {
  readonly path: string;
  /** The session that created the node: once that session is gone, so is the node. */
  readonly client: ZkClient;
  readonly watch: OwnNodeWatch;
}

/** Bound on attempts of one call through connection losses and session changes. */
const ATTEMPTS = 20;

/**
 * Groups: persistent group nodes, one ephemeral node per member (it goes
 * with the session) holding its msgpack capabilities.
 */
export class ZookeeperGroups implements GroupBackend<ZookeeperMemberHandle> {
  /** One ZooKeeper watch per group, however many views of it this coordinator has. */
  private readonly watches = new SharedWatches<GroupId, GroupChange>((group) => groupWatch(this.ctx, group));

  constructor(private readonly ctx: ZkContext) {}

  async create(group: GroupId): Promise<void> {
    const { connection, keys, acl } = this.ctx;
    const path = keys.group(group);
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
        await client.mkdirp(keys.root, acl).catch((mkdirError: unknown) => {
          throw toToozError(mkdirError, keys.root);
        });
      }
    }
  }

  async delete(group: GroupId): Promise<void> {
    const path = this.ctx.keys.group(group);
    const client = this.ctx.connection.client;
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
  }

  async list(): Promise<GroupId[]> {
    const { keys } = this.ctx;
    try {
      const { children } = await this.ctx.connection.client.getChildren(keys.root);
      return keys.groupIds(children);
    } catch (error) {
      if (zkCode(error) === Exception.NO_NODE) return [];
      throw toToozError(error, keys.root);
    }
  }

  async members(group: GroupId): Promise<Map<string, EncodedCapabilities>> {
    const { keys } = this.ctx;
    const path = keys.group(group);
    const client = this.ctx.connection.client;
    const children = await groupChildren(client, group, path);
    // All reads go out at once: one round trip for the lot. Members that left meanwhile are skipped.
    const entries = await Promise.all(
      keys.memberNodes(children).map((name) =>
        client.getData(`${path}/${name}`).then(
          ({ data }) => [keys.memberId(name), storedCapabilities(data)] as const,
          (error: unknown) => {
            if (zkCode(error) === Exception.NO_NODE) return undefined;
            throw toToozError(error, path);
          },
        ),
      ),
    );
    return new Map(entries.filter((entry) => entry !== undefined));
  }

  async join(group: GroupId, capabilities: EncodedCapabilities): Promise<ZookeeperMemberHandle> {
    const { connection, keys, memberId, acl } = this.ctx;
    const path = keys.member(group, memberId);
    const backoff = this.ctx.backoff();
    let uncertain = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const client = connection.client;
      try {
        await client.create(path, capabilities, acl, CreateMode.EPHEMERAL);
      } catch (error) {
        const code = zkCode(error);
        if (code === Exception.NODE_EXISTS) {
          // After a create lost with the connection, the node may be our own.
          if (uncertain && (await ownedBy(client, path).catch(() => false))) return this.watched(path, client);
          throw new MemberAlreadyJoinedError(group, memberId);
        }
        if (code === Exception.NO_NODE) throw new GroupNotFoundError(group);
        if (code === Exception.CONNECTION_LOSS) uncertain = true;
        else if (isSessionGone(error)) uncertain = false;
        else throw toToozError(error, path);
        await sleep(backoff.next(), this.ctx.scheduler);
        continue;
      }
      // Only once the node is ours: sent with the create, a failed join would leave a watch on another member's node.
      return this.watched(path, client);
    }
    throw toToozError(new Error('could not join through repeated connection losses'), path);
  }

  async leave(group: GroupId, { path, client, watch }: ZookeeperMemberHandle): Promise<void> {
    watch.stop();
    const backoff = this.ctx.backoff();
    let maybeRemoved = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // A node of an ended session is gone with it.
      if (client !== this.ctx.connection.client || client.isAbandoned) return;
      try {
        // Only our own node: a member of the same id in another session must stay.
        const stat = await client.exists(path);
        if (!stat || !stat.ephemeralOwner.equals(client.sessionId)) {
          if (maybeRemoved) return;
          throw new MemberNotJoinedError(group, this.ctx.memberId);
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
      await sleep(backoff.next(), this.ctx.scheduler);
    }
  }

  async update(group: GroupId, { path, client }: ZookeeperMemberHandle, capabilities: EncodedCapabilities) {
    const backoff = this.ctx.backoff();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (client !== this.ctx.connection.client || client.isAbandoned) break;
      try {
        await client.setData(path, capabilities);
        return;
      } catch (error) {
        const code = zkCode(error);
        if (code === Exception.NO_NODE || isSessionGone(error)) break;
        if (code !== Exception.CONNECTION_LOSS) throw toToozError(error, path);
      }
      await sleep(backoff.next(), this.ctx.scheduler);
    }
    throw new MemberNotJoinedError(group, this.ctx.memberId);
  }

  watch(group: GroupId): Observable<GroupChange> {
    return this.watches.get(group);
  }

  /** A member handle whose node is watched for deletion by anyone else. */
  private async watched(path: string, client: ZkClient): Promise<ZookeeperMemberHandle> {
    const watch = new OwnNodeWatch(client, path, this.ctx.scheduler, this.ctx.backoff());
    await watch.arm();
    return { path, client, watch, lost$: watch.lost$ };
  }
}

async function ownedBy(client: ZkClient, path: string): Promise<boolean> {
  const stat = await client.exists(path);
  return stat?.ephemeralOwner.equals(client.sessionId) ?? false;
}

/** A group node's children; a group that does not exist is `GroupNotFoundError`. */
async function groupChildren(client: ZkClient, group: GroupId, path: string): Promise<string[]> {
  try {
    return (await client.getChildren(path)).children;
  } catch (error) {
    if (zkCode(error) === Exception.NO_NODE) throw new GroupNotFoundError(group);
    throw toToozError(error, path);
  }
}
