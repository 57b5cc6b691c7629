import {
  ConnectionError,
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
  type GroupBackend,
  type LockBackend,
} from '@tooz/core';
import { Exception } from 'node-zookeeper-client';
import type { ZkContext } from './context.js';
import { diagnoseZookeeper } from './diagnose.js';
import { groupBackend } from './groups/group-backend.js';
import { Layout } from './layout.js';
import { lockBackend } from './locks/lock-backend.js';
import type { ZookeeperConfig } from './options.js';
import { aclFor } from './zk/acl.js';
import { ZkConnection } from './zk/connection.js';
import { toToozError, zkCode } from './zk/errors.js';

/** One coordinator's ZooKeeper session, as core sees it. */
export class ZookeeperSession implements DriverSession {
  readonly signals$;
  readonly locks: LockBackend;
  readonly groups: GroupBackend;

  private constructor(
    readonly connection: ZkConnection,
    private readonly ctx: ZkContext,
    private readonly onClose: () => void,
    /** What `diagnose()` reports besides the server's own answer. */
    private readonly asked: { readonly hosts: readonly string[]; readonly sessionTimeout: number },
  ) {
    this.signals$ = connection.signals$;
    this.locks = lockBackend(ctx);
    this.groups = groupBackend(ctx);
  }

  static async open(
    config: ZookeeperConfig,
    context: DriverContext,
    onClose: (session: ZookeeperSession) => void = () => undefined,
  ): Promise<ZookeeperSession> {
    const sessionTimeout = config.sessionTimeout ?? context.ttl;
    const connection = await ZkConnection.open(config, context.scheduler, sessionTimeout);
    const ctx: ZkContext = {
      connection,
      layout: new Layout(config.chroot, context.namespace),
      memberId: context.memberId,
      memberData: Buffer.from(context.memberId, 'utf8'),
      acl: aclFor(config),
      scheduler: context.scheduler,
      departures: new Map(),
    };
    try {
      await ensureRoot(ctx, config);
    } catch (error) {
      await connection.close();
      throw error;
    }
    const asked = { hosts: config.hosts, sessionTimeout };
    const session: ZookeeperSession = new ZookeeperSession(connection, ctx, () => onClose(session), asked);
    return session;
  }

  /** Core reads it on every "do you hold it" read: a stalled process learns of the expiry on its first read. */
  sessionDeadline(): number {
    return this.connection.deadline();
  }

  /** For `tooz doctor`: session timeout asked and granted, server version and mode (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    const facts = {
      hosts: this.asked.hosts,
      askedTimeout: this.asked.sessionTimeout,
      grantedTimeout: this.connection.sessionTimeout,
    };
    return diagnoseZookeeper(facts, this.ctx.scheduler);
  }

  close(): Promise<void> {
    this.onClose();
    return this.connection.close();
  }
}

/**
 * Reads the namespace node (creating it, as tooz's `ensure_path` does): the
 * first request that needs rights, so refused credentials show here, as a
 * non-retryable error that names the user and never the password.
 */
async function ensureRoot(ctx: ZkContext, config: ZookeeperConfig): Promise<void> {
  const { client } = ctx.connection;
  const root = ctx.layout.root;
  try {
    await client.getData(root);
    return;
  } catch (error) {
    if (zkCode(error) !== Exception.NO_NODE) throw refusal(error, root, config);
  }
  try {
    await client.mkdirp(root, ctx.acl);
  } catch (error) {
    throw refusal(error, root, config);
  }
}

function refusal(error: unknown, root: string, config: ZookeeperConfig): unknown {
  if (zkCode(error) !== Exception.NO_AUTH) return toToozError(error, root);
  const who = config.auth
    ? `for user "${config.auth.username}": wrong password, or that user has no rights there`
    : 'without credentials: the server may require digest credentials (zookeeper://user:secret@host)';
  return new ConnectionError(`ZooKeeper refused access to ${root} ${who}`, { retryable: false });
}
