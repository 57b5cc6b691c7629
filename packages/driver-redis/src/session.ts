import type { DriverContext, DriverDiagnosis, DriverSession } from '@tooz/core';
import type { Redis } from 'ioredis';
import { Channels } from './channels.js';
import type { RedisClient } from './client.js';
import { Commands } from './commands.js';
import { diagnoseRedis } from './diagnose.js';
import { openConnection } from './connection.js';
import { GroupExpiry } from './group-expiry.js';
import { RedisGroups } from './groups.js';
import { Holds } from './holds.js';
import { KeyLayout } from './keys.js';
import { RedisLocks } from './locks.js';
import { decodeInbox } from './messages.js';
import { ConnectionMonitor } from './monitor.js';
import type { ResolvedOptions } from './options.js';
import { loadScripts } from './scripts.js';

/** A health ping period suited to a TTL: several pings per TTL, at most one a second. */
export function defaultHealthInterval(ttl: number): number {
  return Math.max(10, Math.min(1_000, Math.floor(ttl / 3)));
}

/**
 * How often a watcher re-checks a group that has had a Python tooz member
 * (Python tooz publishes nothing): once per membership refresh period of
 * this driver at the coordinator's TTL.
 */
export function pythonCheckInterval(ttl: number): number {
  return Math.max(10, Math.floor(ttl / 4));
}

/** One coordinator's connection: the lock and group backends over it, and its health. */
export class RedisSession implements DriverSession {
  readonly locks: RedisLocks;
  readonly groups: RedisGroups;
  private constructor(
    private readonly redis: Redis,
    private readonly monitor: ConnectionMonitor,
    private readonly expiry: GroupExpiry,
    private readonly channels: Channels,
    parts: { locks: RedisLocks; groups: RedisGroups },
  ) {
    this.locks = parts.locks;
    this.groups = parts.groups;
  }

  get signals$() {
    return this.monitor.signals$;
  }

  static async open(options: ResolvedOptions, where: string, context: DriverContext): Promise<RedisSession> {
    const scripts = await loadScripts();
    const { redis, client } = await openConnection(options, where, context.scheduler);
    try {
      return await RedisSession.assemble(redis, client, options, context, scripts);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }

  private static async assemble(
    redis: Redis,
    client: RedisClient,
    options: ResolvedOptions,
    context: DriverContext,
    scripts: Awaited<ReturnType<typeof loadScripts>>,
  ): Promise<RedisSession> {
    const { memberId, scheduler } = context;
    const keys = new KeyLayout(context.namespace);
    const commands = new Commands(client, { replicas: options.waitReplicas, timeout: options.waitReplicasTimeout });
    const channels = new Channels(commands);
    const holds = new Holds();
    const expiry = new GroupExpiry(commands, scripts, keys, scheduler, pythonCheckInterval(context.ttl));
    const interval = options.healthCheckInterval ?? defaultHealthInterval(context.ttl);
    const monitor = new ConnectionMonitor(
      commands,
      scheduler,
      // A link is only called silent after a few unanswered pings.
      { interval, socketTimeout: Math.max(options.socketTimeout, 3 * interval) },
      async () => {
        await channels.resubscribeAll();
        await holds.verify(commands);
      },
    );
    monitor.recovered$.subscribe(() => expiry.checkAll());
    // The member's inbox: where it is told a hold of its was broken or found dead.
    channels.listen(keys.inbox(memberId), (payload) => {
      const message = decodeInbox(payload);
      if (message) holds.onInbox(message);
    });
    await commands.ping();
    const locks = new RedisLocks(
      commands,
      scripts,
      keys,
      channels,
      holds,
      { memberId, fenceRetention: Math.ceil(options.fenceRetention), lockMode: options.lockMode },
      monitor.recovered$,
    );
    const groups = new RedisGroups(commands, scripts, keys, channels, holds, expiry, memberId, monitor.recovered$);
    monitor.start();
    return new RedisSession(redis, monitor, expiry, channels, { locks, groups });
  }

  /** For `tooz doctor`: version, role, eviction policy and clock offset (see diagnose.ts). */
  diagnose(): Promise<DriverDiagnosis> {
    return diagnoseRedis(this.redis);
  }

  async close(): Promise<void> {
    // Stopped first, so the socket closing below is not reported as a suspension.
    this.monitor.stop();
    this.expiry.stop();
    this.channels.clear();
    this.redis.disconnect();
  }
}
