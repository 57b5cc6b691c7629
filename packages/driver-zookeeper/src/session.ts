import {
  type Backoff,
  ConnectionError,
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
} from '@tooz/core/driver';
import { type ACL, Exception } from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import { toToozError, zkCode } from './errors.js';
import { ZookeeperGroups, type ZookeeperMemberHandle } from './groups.js';
import { ZookeeperKeys } from './keys.js';
import { type ZookeeperLockHandle, ZookeeperLocks } from './locks.js';
import type { ZookeeperSettings } from './options.js';
import { aclFor } from './zk/acl.js';
import { ZkConnection } from './zk/connection.js';
import { diagnoseZookeeper } from './zk/diagnose.js';

/** What the locks and groups of one session share. */
export interface ZkContext {
  readonly connection: ZkConnection;
  readonly keys: ZookeeperKeys;
  readonly memberId: string;
  /** The member id as stored in lock and candidate nodes (UTF-8, as tooz writes it). */
  readonly memberData: Buffer;
  readonly acl: ACL[];
  readonly scheduler: SchedulerLike;
  /** A fresh backoff on the user's retry options, one per retry loop. */
  backoff(): Backoff;
}

/** One coordinator's ZooKeeper session, as core sees it. */
export class ZookeeperSession implements DriverSession<ZookeeperLockHandle, ZookeeperMemberHandle> {
  readonly signals$;
  readonly locks: ZookeeperLocks;
  readonly groups: ZookeeperGroups;

  private constructor(
    readonly connection: ZkConnection,
    private readonly ctx: ZkContext,
    private readonly onClose: () => void,
    /** What `diagnose()` reports besides the server's own answer. */
    private readonly asked: { readonly hosts: readonly string[]; readonly sessionTimeout: number },
  ) {
    this.signals$ = connection.signals$;
    this.locks = new ZookeeperLocks(ctx);
    this.groups = new ZookeeperGroups(ctx);
  }

  static async open(
    settings: ZookeeperSettings,
    context: DriverContext,
    onClose: (session: ZookeeperSession) => void,
  ): Promise<ZookeeperSession> {
    const sessionTimeout = settings.sessionTimeout ?? context.ttl;
    const { scheduler } = context;
    const connection = await ZkConnection.open(settings, scheduler, sessionTimeout, context.retry.delay);
    const ctx: ZkContext = {
      connection,
      keys: new ZookeeperKeys(settings.chroot, context.namespace),
      memberId: context.memberId,
      memberData: Buffer.from(context.memberId, 'utf8'),
      acl: aclFor(settings),
      scheduler,
      backoff: () => context.backoff(),
    };
    try {
      await ensureRoot(ctx, settings);
    } catch (error) {
      await connection.close();
      throw error;
    }
    const asked = { hosts: settings.hosts, sessionTimeout };
    const session: ZookeeperSession = new ZookeeperSession(connection, ctx, () => onClose(session), asked);
    return session;
  }

  /** Core reads it on every "do you hold it" read: a stalled process learns of the expiry on its first read. */
  sessionDeadline(): number {
    return this.connection.deadline();
  }

  /** For `tooz doctor`: session timeout asked and granted, server version and mode. */
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
async function ensureRoot(ctx: ZkContext, settings: ZookeeperSettings): Promise<void> {
  const { client } = ctx.connection;
  const { root } = ctx.keys;
  try {
    await client.getData(root);
    return;
  } catch (error) {
    if (zkCode(error) !== Exception.NO_NODE) throw refusal(error, root, settings);
  }
  try {
    await client.mkdirp(root, ctx.acl);
  } catch (error) {
    throw refusal(error, root, settings);
  }
}

function refusal(error: unknown, root: string, settings: ZookeeperSettings): unknown {
  if (zkCode(error) !== Exception.NO_AUTH) return toToozError(error, root);
  const who = settings.auth
    ? `for user "${settings.auth.username}": wrong password, or that user has no rights there`
    : 'without credentials: the server may require digest credentials (zookeeper://user:secret@host)';
  return new ConnectionError(`ZooKeeper refused access to ${root} ${who}`, { retryable: false });
}
