import type { ACL } from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import type { Layout } from './layout.js';
import type { ZkConnection } from './zk/connection.js';

/** What every backend of one session shares. */
export interface ZkContext {
  readonly connection: ZkConnection;
  readonly layout: Layout;
  readonly memberId: string;
  /** The member id as stored in lock and candidate nodes (UTF-8, as tooz writes it). */
  readonly memberData: Buffer;
  readonly acl: ACL[];
  readonly scheduler: SchedulerLike;
  /**
   * Per lock queue: a contender of this session that was abandoned while its
   * create was in flight, until the delete of its node has been sent. Later
   * contenders of the session on that queue wait for it, so they never find
   * it ahead of themselves.
   */
  readonly departures: Map<string, Promise<void>>;
}
