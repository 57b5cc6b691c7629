import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, connect, InvalidArgumentError, parseConnectionUrl } from '@tooz/core';
import { fromUrl, redis, redisCapabilities } from '@tooz/driver-redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { optionsFromUrl, parseRedisOptions } from '../src/options.js';
import { type RedisServer, startRedis } from '@tooz/testing';
import { claimPort, releasePort } from '@tooz/testing/internal';

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

/** PEM files are read when the options are parsed: a path must exist. */
function pemFile(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tooz-pem-')), name);
  writeFileSync(file, `-----BEGIN ${name}-----\n`);
  return file;
}

const fromText = (url: string, options: Record<string, unknown> = {}) => {
  const parsed = parseConnectionUrl(url);
  return fromUrl(parsed, { ...Object.fromEntries(parsed.params), ...options });
};

/** The options a URL resolves to (driver options only: core takes timeout, namespace and the like first). */
const resolved = (url: string) => {
  const parsed = parseConnectionUrl(url);
  return parseRedisOptions(optionsFromUrl(parsed, Object.fromEntries(parsed.params)), 's');
};

describe('URLs and options', () => {
  it('names the field it refuses', () => {
    expect(refusal(() => fromText('redis://h1:1,h2:2')).field).toBe('url.host');
    expect(refusal(() => fromText('redis+sentinel://h:26379')).field).toBe('url.path');
    expect(refusal(() => fromText('redis://h?wait_replicas=two')).field).toBe('options.waitReplicas');
    expect(refusal(() => fromText('redis://h?db=-1')).field).toBe('options.db');
    expect(refusal(() => fromText('redis://h?socket_timeout=soon')).field).toBe('options.socketTimeout');
    expect(refusal(() => fromText('redis://h?encoding=latin1')).field).toBe('options.encoding');
    expect(refusal(() => fromText('redis://h?bogus=1')).field).toBe('options.bogus');
    // No tooz version knows these: still refused, by name.
    expect(refusal(() => fromText('redis://h?ssl_cert_reqs=none')).field).toBe('options.sslCertReqs');
    expect(refusal(() => fromText('redis://h?max_connections=5')).field).toBe('options.maxConnections');
    // Known to tooz, with values tooz refuses too (executor) or that are surely typos (a boolean).
    expect(refusal(() => fromText('redis://h?executor=eventlet')).field).toBe('options.executor');
    expect(refusal(() => fromText('redis://h?ssl=maybe')).field).toBe('options.tls');
    expect(refusal(() => fromText('redis://h?sentinel=m&sentinel_ssl=perhaps')).field).toBe('options.sentinelTls');
    expect(refusal(() => fromText('redis://h?lock_mode=python')).field).toBe('options.lockMode');
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
      `rediss://127.0.0.1:6380?ssl_ca_certs=${pemFile('CA')}`,
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

  it('accepts every URL Python tooz accepts, with the meaning tooz gives it (issue 14 #10)', () => {
    // tooz hands redis-py the host and port only: a path means nothing, and the database is ?db=N.
    for (const url of ['redis://h:6379/anything', 'redis://h:6379/2', 'redis://h:6379/0/1', 'redis://h:6379/']) {
      expect(resolved(url)).toMatchObject({ host: 'h', port: 6379, db: 0 });
    }
    expect(resolved('redis://h:6379/anything?db=3').db).toBe(3);
    expect(resolved('redis:///var/run/redis.sock?db=2')).toMatchObject({ path: '/var/run/redis.sock', db: 2 });
    // 9.x's user name (3.1.0 reads only the password) and the password, from the userinfo.
    expect(resolved('redis://app:pw@h:6379/x')).toMatchObject({ username: 'app', password: 'pw', db: 0 });
    // Booleans as oslo's bool_from_string reads them, in any case.
    expect(resolved('redis://h?ssl=True').tls).toEqual({});
    expect(resolved('redis://h?ssl=yes').tls).toEqual({});
    expect(resolved('redis://h?ssl=0').tls).toBeUndefined();
    expect(resolved('redis://h?ssl=f').tls).toBeUndefined();
    // In tooz's redis:// the PEM files alone do not turn TLS on (redis-py ignores them without ssl), nor are they read.
    expect(resolved('redis://h?ssl_ca_certs=/nonexistent/ca.pem').tls).toBeUndefined();
    const [ca, cert, key] = [pemFile('CA'), pemFile('CERT'), pemFile('KEY')];
    const files = `ssl_ca_certs=${ca}&ssl_certfile=${cert}&ssl_keyfile=${key}`;
    expect(resolved(`redis://h?ssl=true&${files}`)).toMatchObject({
      tls: { ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key) },
      tlsCaFile: ca,
    });
    // Durations in seconds, floats included; redis-py's health_check_interval=0 (off) means this driver's default.
    expect(resolved('redis://h?socket_timeout=2.5&socket_connect_timeout=3')).toMatchObject({
      socketTimeout: 2_500,
      connectTimeout: 3_000,
    });
    expect(resolved('redis://h?health_check_interval=0').healthCheckInterval).toBeUndefined();
    expect(resolved('redis://h?health_check_interval=0.5').healthCheckInterval).toBe(500);
    // Sentinel: the URL's host first, then every sentinel_fallback (IPv6 too, as 9.x allows); 9.x's sentinel options.
    expect(
      resolved(
        'redis://s1:26379/ignored?sentinel=mymaster&sentinel_fallback=s2:26380&sentinel_fallback=[::1]:26381' +
          '&sentinel_username=su&sentinel_password=sp&sentinel_ssl=True',
      ),
    ).toMatchObject({
      sentinelMaster: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      sentinelUsername: 'su',
      sentinelPassword: 'sp',
      sentinelTls: {},
      db: 0,
    });
    // Accepted and ignored: tooz's executor, redis-py's retry and keepalive flags (int in 3.1.0, bool in 9.x), utf8.
    for (const query of [
      'executor=threaded',
      'executor=thread',
      'executor=threading',
      'executor=synchronous',
      'executor=sync',
      'retry_on_timeout=True',
      'socket_keepalive=1',
      'socket_keepalive=False',
      'encoding=utf8',
      'encoding=UTF-8',
      'encoding=utf_8',
    ]) {
      expect(resolved(`redis://h?${query}`)).toMatchObject({ host: 'h', db: 0 });
    }
    expect(resolved('redis://h?lock_mode=tooz').lockMode).toBe('tooz');
    expect(resolved('redis://h').lockMode).toBe('native');
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
    for (const url of [`redis://${socket}`, `redis://${socket}?db=3`, `${server.url}?db=3`]) {
      const coordinator = await connect(url, { memberId: 'socket' });
      await (await coordinator.acquire('via-socket', { wait: 0 })).release();
      await coordinator.close();
    }
  });

  it('takes a URL copied from a Python tooz service whole, path and all (issue 14 #10)', async () => {
    const server = await startRedis();
    servers.push(server);
    const admin = new Redis(server.url);
    try {
      const query =
        'timeout=5&lock_timeout=4&membership_timeout=2.5&namespace=_tooz&executor=threaded&encoding=utf8' +
        '&socket_timeout=2.5&socket_connect_timeout=3&socket_keepalive=True&retry_on_timeout=1&health_check_interval=0';
      for (const [url, db] of [
        [`${server.url}/tooz?${query}`, 0],
        [`${server.url}/5?${query}&db=2`, 2],
      ] as const) {
        const coordinator = await connect(url, { memberId: 'from-python-config' });
        const lease = await coordinator.acquire('copied', { wait: 0 });
        await admin.select(db);
        expect(await admin.exists('_tooz_copied_lock')).toBe(1);
        await lease.release();
        await coordinator.close();
      }
    } finally {
      admin.disconnect();
    }
  });
});
