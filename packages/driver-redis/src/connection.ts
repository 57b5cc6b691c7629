import { readFile } from 'node:fs/promises';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConnectionError, InvalidArgumentError, type ToozError } from '@tooz/core';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import type { SchedulerLike } from 'rxjs';
import { narrow, type RedisClient } from './client.js';
import { isRefusal, transportError } from './errors.js';
import type { ResolvedOptions } from './options.js';

const MIN_REDIS_MAJOR = 6;

async function readPem(file: string | undefined, field: string): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (error) {
    throw new InvalidArgumentError(`options.${field}`, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
}

async function tlsFiles(options: ResolvedOptions): Promise<TlsConnectionOptions> {
  const [ca, cert, key] = await Promise.all([
    readPem(options.tlsCaFile, 'tlsCaFile'),
    readPem(options.tlsCertFile, 'tlsCertFile'),
    readPem(options.tlsKeyFile, 'tlsKeyFile'),
  ]);
  const given = typeof options.tls === 'object' ? options.tls : {};
  return { ...given, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * TLS to the data nodes when `tls` is set, or (redis({...}) without `tls`)
 * when PEM files are given. A `redis://` URL sets `tls: false` unless it
 * says `ssl=true`, as in tooz, where the files alone do not turn TLS on.
 */
function wantsTls(options: ResolvedOptions): boolean {
  const anyFile = options.tlsCaFile ?? options.tlsCertFile ?? options.tlsKeyFile;
  return options.tls !== false && (options.tls !== undefined || anyFile !== undefined);
}

/**
 * ioredis settings for the driver's one connection per session:
 * - RESP3, so the connection can subscribe and still run commands;
 * - no offline queue: a request made while disconnected fails at once
 *   (core retries with backoff) instead of waiting in a queue;
 * - no resending of requests in flight when a socket closes (an acquire
 *   sent twice could take a lock nobody knows it holds), and no automatic
 *   resubscription: the session restores its own channels;
 * - reconnection for ever, with backoff, and on READONLY (a demoted primary).
 */
async function ioredisOptions(options: ResolvedOptions): Promise<IoRedisOptions> {
  // PEM files are read only when something uses them (redis-py ignores them without ssl, and so does tooz).
  const files = wantsTls(options) || options.sentinelTls ? await tlsFiles(options) : {};
  const tls = wantsTls(options) ? files : undefined;
  const common: IoRedisOptions = {
    lazyConnect: true,
    protocol: 3,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    maxRetriesPerRequest: null,
    connectTimeout: options.connectTimeout,
    retryStrategy: (attempt) => Math.min(2_000, 25 * 2 ** Math.min(attempt, 7)),
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
    db: options.db,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(tls ? { tls } : {}),
  };
  if (options.sentinels) {
    return {
      ...common,
      sentinels: options.sentinels.map(({ host, port }) => ({ host, port: port ?? 26379 })),
      name: options.sentinelMaster,
      failoverDetector: true,
      sentinelRetryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)),
      ...(options.sentinelUsername !== undefined ? { sentinelUsername: options.sentinelUsername } : {}),
      ...(options.sentinelPassword !== undefined ? { sentinelPassword: options.sentinelPassword } : {}),
      // The data nodes found through the sentinels: TLS as `tls` says (ioredis needs the flag for it).
      ...(tls ? { enableTLSForSentinelMode: true } : {}),
      // The sentinels themselves: TLS with the same files when `sentinelTls` (tooz's sentinel_ssl) is set.
      ...(options.sentinelTls ? { sentinelTLS: files } : {}),
    };
  }
  if (options.path) return { ...common, path: options.path };
  return { ...common, host: options.host ?? '127.0.0.1', port: options.port ?? 6379 };
}

function refused(where: string, error: Error): ConnectionError {
  // The server's words only: never ioredis' error object, whose command arguments hold the password.
  const reply = error.message.split('\n', 1)[0] ?? '';
  return new ConnectionError(`Redis at ${where} refused the credentials: ${reply}`, { retryable: false });
}

/**
 * Opens the session's connection: resolves once Redis is ready to serve (and
 * new enough), rejects with a ConnectionError otherwise. Wrong credentials
 * are not retryable; anything else is.
 */
export async function openConnection(
  options: ResolvedOptions,
  where: string,
  scheduler: SchedulerLike,
): Promise<{ redis: Redis; client: RedisClient }> {
  const redis = new Redis(await ioredisOptions(options));
  let lastError: Error | undefined;
  // ioredis reports every socket error here; without a listener it prints them.
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  const client = narrow(redis);
  let timer: { unsubscribe(): void } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = scheduler.schedule(
        () => reject(new ConnectionError(`Redis at ${where} did not answer within ${options.connectTimeout} ms`)),
        options.connectTimeout,
      );
      redis.connect().then(resolve, (error: unknown) => reject(lastError ?? error));
    });
    await checkVersion(client, where);
    return { redis, client };
  } catch (error) {
    redis.disconnect();
    throw openError(error, where);
  } finally {
    timer?.unsubscribe();
  }
}

function openError(error: unknown, where: string): ToozError {
  if (isRefusal(error)) return refused(where, error as Error);
  if (error instanceof ConnectionError || error instanceof InvalidArgumentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`Could not connect to Redis at ${where}: ${message.split('\n', 1)[0]}`);
}

async function checkVersion(client: RedisClient, where: string): Promise<void> {
  let info: string;
  try {
    info = await client.info('server');
  } catch (error) {
    // An ACL user may not be allowed INFO; RESP3 was negotiated already, which needs Redis 6.
    if (error instanceof Error && error.message.startsWith('NOPERM')) return;
    throw transportError(error, 'INFO');
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
