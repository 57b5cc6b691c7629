import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../src/servers/index.js';
import { expectLeftNothing, rejectionOf, stillPending } from './helpers.js';

const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/**
 * A client that fails fast instead of retrying: the tests look at what it
 * sees. It logs in through the handle's url unless `asGiven`, which connects
 * to host and port with only the credentials in `options`.
 */
function client(server: RedisServer, options: IoRedisOptions = {}, asGiven = false): Redis {
  const settings: IoRedisOptions = {
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
    ...(server.certs ? { tls: { ca: readFileSync(server.certs.ca) } } : {}),
    ...options,
  };
  const redis = asGiven
    ? new Redis({ host: server.host, port: server.port, ...settings })
    : new Redis(server.url, settings);
  const seen: Error[] = [];
  redis.on('error', (error: Error) => seen.push(error));
  errors.set(redis, seen);
  clients.push(redis);
  return redis;
}

const errors = new WeakMap<Redis, Error[]>();

/** Why the server refused: the command's rejection and every error the client reported. */
async function refusal(redis: Redis): Promise<string> {
  const rejection = await rejectionOf(redis.connect().then(() => redis.ping()));
  return [rejection, ...(errors.get(redis) ?? [])].map((e) => e.message).join(' | ');
}

async function connected(server: RedisServer, options?: IoRedisOptions): Promise<Redis> {
  const redis = client(server, options);
  await redis.connect();
  return redis;
}

describe('startRedis', () => {
  it('starts on a loopback port and answers ioredis', async () => {
    await using redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.host).toBe('127.0.0.1');
    const c = await connected(redis);
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    expect(await c.config('GET', 'dir')).toEqual(['dir', `${redis.dir}/data`]);
  });

  it('without persistence, restart loses the data (as Redis does)', async () => {
    await using redis = await startRedis();
    await (await connected(redis)).set('k', 'v');
    const pid = redis.pid;
    await redis.restart();
    expect(redis.pid).not.toBe(pid);
    expect(await (await connected(redis)).get('k')).toBeNull();
  });

  it('with rdb, stop saves and keeps the data, kill loses what was not saved', async () => {
    await using redis = await startRedis({ persistence: 'rdb' });
    await (await connected(redis)).set('saved', '1');
    await redis.restart();
    const c = await connected(redis);
    expect(await c.get('saved')).toBe('1');
    await c.set('unsaved', '1');
    await redis.kill();
    await redis.start();
    const after = await connected(redis);
    expect(await after.get('saved')).toBe('1');
    expect(await after.get('unsaved')).toBeNull();
  });

  it('with aof, every acknowledged write survives kill', async () => {
    await using redis = await startRedis({ persistence: 'aof' });
    await (await connected(redis)).set('k', 'v');
    await redis.kill();
    await redis.start();
    expect(await (await connected(redis)).get('k')).toBe('v');
  });

  it('kill is seen by a connected client', async () => {
    await using redis = await startRedis();
    const c = await connected(redis);
    const closed = once(c, 'close');
    await redis.kill();
    expect(redis.running).toBe(false);
    await closed;
    await expect(c.get('k')).rejects.toThrow();
  });

  it('pause leaves the client waiting, resume lets it through', async () => {
    await using redis = await startRedis();
    const c = await connected(redis);
    await c.set('k', 'v');
    await redis.pause();
    expect(redis.paused).toBe(true);
    const pending = c.get('k');
    expect(await stillPending(pending)).toBe(true);
    await redis.resume();
    expect(await pending).toBe('v');
  });

  it('leaves nothing behind after dispose', async () => {
    let handle: RedisServer;
    {
      await using redis = await startRedis();
      handle = redis;
    }
    expectLeftNothing(handle);
  });

  it('stop() of a paused server still stops it', async () => {
    await using redis = await startRedis();
    await redis.pause();
    await redis.stop();
    expect(redis.running).toBe(false);
  });
});

describe('startRedis auth and TLS flavours', () => {
  it('password: the right one is accepted, a wrong or missing one refused', async () => {
    await using redis = await startRedis({ password: 's3cret' });
    expect(redis.url).toBe(`redis://:s3cret@127.0.0.1:${redis.port}`);
    expect(await (await connected(redis)).ping()).toBe('PONG');
    expect(await refusal(client(redis, { password: 'wrong' }, true))).toMatch(/WRONGPASS/);
    expect(await refusal(client(redis, {}, true))).toMatch(/NOAUTH/);
  });

  it('ACL user: logs in with its password; the default user is disabled', async () => {
    await using redis = await startRedis({ user: { name: 'app', password: 'pw' } });
    expect(redis.url).toBe(`redis://app:pw@127.0.0.1:${redis.port}`);
    expect(await (await connected(redis)).ping()).toBe('PONG');
    expect(await refusal(client(redis, { username: 'app', password: 'nope' }, true))).toMatch(/WRONGPASS/);
    expect(await refusal(client(redis, {}, true))).toMatch(/NOAUTH/);
  });

  it('TLS: a client trusting the test CA connects, a plain one does not', async () => {
    await using redis = await startRedis({ tls: true });
    expect(redis.url).toBe(`rediss://127.0.0.1:${redis.port}`);
    expect(redis.certs?.ca).toMatch(/ca\.crt$/);
    expect(await (await connected(redis)).ping()).toBe('PONG');
    const plain = new Redis({
      host: redis.host,
      port: redis.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
    });
    plain.on('error', () => {});
    clients.push(plain);
    await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
  });

  it('TLS with client authentication: refuses a client without a certificate', async () => {
    await using redis = await startRedis({ tls: { clientAuth: true } });
    const certs = redis.certs;
    if (!certs) throw new Error('no certificates');
    const withCert = await connected(redis, {
      tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
    });
    expect(await withCert.ping()).toBe('PONG');
    const without = client(redis);
    await expect(without.connect().then(() => without.ping())).rejects.toThrow();
  });
});
