import type { DriverContext, DriverDiagnosis, DriverSession } from '@tooz/core/driver';
import type { Redis } from 'ioredis';
import type { Observable, SchedulerLike } from 'rxjs';
import { Channels } from './channels.js';
import { Commands } from './commands.js';
import { openConnection } from './connection.js';
import { diagnoseRedis } from './diagnose.js';
import { RedisGroups, type RedisMemberHandle } from './groups.js';
import { RedisKeys } from './keys.js';
import { type RedisLockHandle, RedisLocks } from './locks.js';
import { decodeInbox } from './messages.js';
import { ConnectionMonitor } from './monitor.js';
import type { RedisSettings } from './options.js';
import { loadScripts, type Scripts } from './scripts.js';

/** What the lock and group backends of one session share. */
export interface RedisSessionContext {
  readonly memberId: string;
  readonly scheduler: SchedulerLike;
  readonly commands: Commands;
  readonly scripts: Scripts;
  readonly keys: RedisKeys;
  readonly channels: Channels;
  /** After each reconnect: watchers re-read what they may have missed. */
  readonly recovered$: Observable<void>;
}

/** A health ping period suited to a TTL: several pings per TTL, at most one a second. */
function defaultHealthInterval(ttl: number): number {
  return Math.max(10, Math.min(1_000, Math.floor(ttl / 3)));
}

/**
 * One coordinator's connection: the lock and group backends over it, its
 * health, and the member's inbox (where it is told that a hold of its was
 * broken, or that its membership was found dead).
 */
export class RedisSession implements DriverSession<RedisLockHandle, RedisMemberHandle> {
  private constructor(
    private readonly redis: Redis,
    private readonly monitor: ConnectionMonitor,
    private readonly channels: Channels,
    readonly locks: RedisLocks,
    readonly groups: RedisGroups,
  ) {}

  get signals$() {
    return this.monitor.signals$;
  }

  static async open(settings: RedisSettings, where: string, context: DriverContext): Promise<RedisSession> {
    const scripts = await loadScripts();
    const { redis, client } = await openConnection(settings, where, context);
    try {
      const { memberId, scheduler, ttl } = context;
      const commands = new Commands(client, { replicas: settings.waitReplicas, timeout: settings.waitReplicasTimeout });
      const channels = new Channels(commands);
      const interval = settings.healthCheckInterval ?? defaultHealthInterval(ttl);
      // A link is only called silent after a few unanswered pings.
      const socketTimeout = Math.max(settings.socketTimeout, 3 * interval);
      const monitor = new ConnectionMonitor(commands, scheduler, { interval, socketTimeout }, () =>
        channels.resubscribeAll(),
      );
      const keys = new RedisKeys(context.namespace);
      const shared = { memberId, scheduler, commands, scripts, keys, channels, recovered$: monitor.recovered$ };
      const locks = new RedisLocks(shared, settings);
      // Python tooz's members publish nothing: a group that has had one is re-checked once per refresh period.
      const groups = new RedisGroups(shared, Math.max(10, Math.floor(ttl / 4)));
      channels.messages(keys.inbox(memberId)).subscribe((payload) => {
        const message = decodeInbox(payload);
        if (message?.type === 'lock-broken') locks.broken(message.lockKey, message.token);
        else if (message) groups.removed(message.groupKey, message.owner);
      });
      await commands.ping();
      monitor.start();
      return new RedisSession(redis, monitor, channels, locks, groups);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }

  /**
   * After a reconnect, before anyone is told: reads every hold back (a
   * restart or a failover may have lost some). The ones gone are reported
   * lost on their own handles; the rest are still held, so the answer is
   * true: on a TTL backend holds end one by one, never as a session.
   */
  async verify(): Promise<boolean> {
    await Promise.all([this.locks.verify(), this.groups.verify()]);
    return true;
  }

  /** For `tooz doctor`: version, role, eviction policy and clock offset (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnoseRedis(this.redis);
  }

  async close(): Promise<void> {
    // Stopped first, so the socket closing below is not reported as a suspension.
    this.monitor.stop();
    this.channels.clear();
    this.redis.disconnect();
  }
}
