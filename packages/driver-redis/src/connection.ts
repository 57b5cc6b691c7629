import { ConnectionError, type DriverContext, deadlinePromise } from '@tooz/core/driver';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { narrow, type RedisClient } from './client.js';
import { openError, toToozError } from './errors.js';
import type { RedisSettings } from './options.js';

const MIN_REDIS_MAJOR = 6;

/**
 * ioredis settings for the driver's one connection per session:
 * - RESP3, so the connection can subscribe and still run commands;
 * - no offline queue: a request made while disconnected fails at once
 *   (core retries with backoff) instead of waiting in a queue;
 * - no resending of requests in flight when a socket closes (an acquire
 *   sent twice could take a lock nobody knows it holds), and no automatic
 *   resubscription: the session restores its own channels;
 * - reconnection for ever, on the user's retry delays, and on READONLY (a
 *   demoted primary).
 */
function ioredisOptions(settings: RedisSettings, context: DriverContext): IoRedisOptions {
  const reconnects = context.backoff();
  const common: IoRedisOptions = {
    lazyConnect: true,
    protocol: 3,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    maxRetriesPerRequest: null,
    connectTimeout: settings.connectTimeout,
    // ioredis counts attempts from 1 again after each connection: so does the backoff.
    retryStrategy: (attempt) => {
      if (attempt === 1) reconnects.reset();
      return reconnects.next();
    },
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
    db: settings.db,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: settings.tls } : {}),
  };
  if (settings.sentinels) {
    const sentinelRetries = context.backoff();
    return {
      ...common,
      sentinels: settings.sentinels.map(({ host, port }) => ({ host, port: port ?? 26379 })),
      name: settings.sentinelMaster,
      failoverDetector: true,
      sentinelRetryStrategy: (attempt) => {
        if (attempt === 1) sentinelRetries.reset();
        return sentinelRetries.next();
      },
      ...(settings.sentinelUsername !== undefined ? { sentinelUsername: settings.sentinelUsername } : {}),
      ...(settings.sentinelPassword !== undefined ? { sentinelPassword: settings.sentinelPassword } : {}),
      // The data nodes found through the sentinels: TLS as `tls` says (ioredis needs the flag for it).
      ...(settings.tls ? { enableTLSForSentinelMode: true } : {}),
      // The sentinels themselves: TLS with the same files when `sentinelTls` (tooz's sentinel_ssl) is set.
      ...(settings.sentinelTls ? { sentinelTLS: settings.sentinelTls } : {}),
    };
  }
  if (settings.path) return { ...common, path: settings.path };
  return { ...common, host: settings.host ?? '127.0.0.1', port: settings.port ?? 6379 };
}

/**
 * Opens the session's connection: resolves once Redis is ready to serve (and
 * new enough), rejects with a ConnectionError otherwise. Wrong credentials
 * are not retryable; anything else is.
 */
export async function openConnection(
  settings: RedisSettings,
  where: string,
  context: DriverContext,
): Promise<{ redis: Redis; client: RedisClient }> {
  const redis = new Redis(ioredisOptions(settings, context));
  let lastError: Error | undefined;
  // ioredis reports every socket error here; without a listener it prints them.
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  const client = narrow(redis);
  try {
    const ready = redis.connect().catch((error: unknown) => {
      throw lastError ?? error;
    });
    const late = () => new ConnectionError(`Redis at ${where} did not answer within ${settings.connectTimeout} ms`);
    await deadlinePromise(ready, settings.connectTimeout, context.scheduler, late);
    await checkVersion(client, where);
    return { redis, client };
  } catch (error) {
    redis.disconnect();
    throw openError(error, where);
  }
}

async function checkVersion(client: RedisClient, where: string): Promise<void> {
  let info: string;
  try {
    info = await client.info('server');
  } catch (error) {
    // An ACL user may not be allowed INFO; RESP3 was negotiated already, which needs Redis 6.
    if (error instanceof Error && error.message.startsWith('NOPERM')) return;
    throw toToozError(error, 'INFO');
  }
  const version = /redis_version:(\d+)/.exec(info)?.[1];
  if (version !== undefined && Number(version) < MIN_REDIS_MAJOR) {
    throw new ConnectionError(
      `Redis at ${where} is version ${version}; this driver needs ${MIN_REDIS_MAJOR}.0 or later`,
      {
        retryable: false,
      },
    );
  }
}
