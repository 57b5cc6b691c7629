import { join } from 'node:path';
import { ConnectionError, connect, InvalidArgumentError, parseConnectionUrl } from '@tooz/core';
import { fromUrl, redis, redisCapabilities } from '@tooz/driver-redis';
import { afterAll, describe, expect, it } from 'vitest';
import { claimPort, releasePort, type RedisServer, startRedis } from './support/servers.js';

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

const fromText = (url: string, options: Record<string, unknown> = {}) => {
  const parsed = parseConnectionUrl(url);
  return fromUrl(parsed, { ...Object.fromEntries(parsed.params), ...options });
};

describe('URLs and options', () => {
  it('names the field it refuses', () => {
    expect(refusal(() => fromText('redis://h1:1,h2:2')).field).toBe('url.host');
    expect(refusal(() => fromText('redis+sentinel://h:26379')).field).toBe('url.path');
    expect(refusal(() => fromText('redis://h/0/1')).field).toBe('url.path');
    expect(refusal(() => fromText('redis://h?wait_replicas=two')).field).toBe('options.waitReplicas');
    expect(refusal(() => fromText('redis://h?db=-1')).field).toBe('options.db');
    expect(refusal(() => fromText('redis://h?socket_timeout=soon')).field).toBe('options.socketTimeout');
    expect(refusal(() => fromText('redis://h?encoding=latin1')).field).toBe('options.encoding');
    expect(refusal(() => fromText('redis://h?bogus=1')).field).toBe('options.bogus');
    expect(refusal(() => fromText('memcached://h')).field).toBe('url');
    expect(refusal(() => redis({ sentinels: [{ host: 'h' }] })).field).toBe('options.sentinelMaster');
    expect(refusal(() => redis({ host: 'h', sentinels: [{ host: 'h' }], sentinelMaster: 'm' })).field).toBe(
      'options.sentinels',
    );
    expect(refusal(() => redis({ port: 70_000 })).field).toBe('options.port');
    expect(refusal(() => redis({ healthCheckInterval: 1 })).field).toBe('options.healthCheckInterval');
  });

  it('accepts every documented form, tooz spellings included', () => {
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://user:pw@127.0.0.1:6379/2',
      'rediss://127.0.0.1:6380?ssl_ca_certs=/tmp/ca.pem',
      'redis:///var/run/redis.sock',
      'redis+sentinel://h1:26379,h2:26379/mymaster',
      'redis+sentinel://h1,h2/mymaster/3',
      'redis://h1:26379?sentinel=mymaster&sentinel_fallback=h2:26379&sentinel_fallback=h3:26379',
      'redis://h?socket_timeout=5&socket_connect_timeout=2.5&health_check_interval=0.5&retry_on_timeout=true',
      'redis://h?wait_replicas=1&wait_replicas_timeout=250ms&fence_retention=10m&encoding=utf8',
    ]) {
      expect(fromText(url).capabilities).toBe(redisCapabilities);
    }
  });

  it('never shows the password in the description', () => {
    expect(fromText('redis://app:hunter2-pw@h:1/0').description).not.toContain('hunter2-pw');
    expect(redis({ url: 'redis://:hunter2-pw@h:1' }).description).not.toContain('hunter2-pw');
  });
});

describe('connecting', () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s[Symbol.asyncDispose]()));
  });

  it('fails with a retryable ConnectionError when nothing listens', async () => {
    const port = await claimPort();
    try {
      const error = await connect(`redis://127.0.0.1:${port}`, { memberId: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).retryable).toBe(true);
    } finally {
      releasePort(port);
    }
  });

  it('refuses an unreadable certificate file, naming the option', async () => {
    const error = await connect('rediss://127.0.0.1:1?ssl_ca_certs=/nonexistent/ca.pem', { memberId: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('options.tlsCaFile');
  });

  it('connects through a unix socket, and to another database', async () => {
    const server = await startRedis({ config: { unixsocket: 'redis.sock', unixsocketperm: '700' } });
    servers.push(server);
    const socket = join(server.dir, 'data', 'redis.sock');
    for (const url of [`redis://${socket}`, `${server.url}/3`]) {
      const coordinator = await connect(url, { memberId: 'socket' });
      await (await coordinator.acquire('via-socket', { wait: 0 })).release();
      await coordinator.close();
    }
  });
});
