import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startFaultProxy, startRedis } from '../../src/servers/index.js';
import { nextEvent, rejectionOf, stillPending } from './helpers.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.[Symbol.asyncDispose]();
});

const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

function client(url: string): { redis: Redis; errors: Error[] } {
  const errors: Error[] = [];
  const c = new Redis(url, {
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  c.on('error', (error: Error) => errors.push(error));
  clients.push(c);
  return { redis: c, errors };
}

describe('startFaultProxy', () => {
  it('forwards traffic to its target', async () => {
    await using proxy = await startFaultProxy({ target: redis });
    expect(proxy.via(redis.url)).toBe(`redis://127.0.0.1:${proxy.port}`);
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const { redis: c } = client(proxy.via(redis.url));
    await c.connect();
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    expect(proxy.connections).toBe(1);
  });

  it('suspend holds traffic both ways with the connection open; resume delivers it', async () => {
    await using proxy = await startFaultProxy({ target: redis });
    const { redis: c } = client(proxy.via(redis.url));
    await c.connect();
    await c.set('k', 'v');
    let closed = false;
    c.on('close', () => {
      closed = true;
    });
    proxy.suspend();
    expect(proxy.suspended).toBe(true);
    const pending = c.get('k');
    expect(await stillPending(pending)).toBe(true);
    expect(closed).toBe(false);
    expect(proxy.connections).toBe(1);
    proxy.resume();
    expect(await pending).toBe('v');
  });

  it('cut resets every connection (the client sees ECONNRESET); new connections work', async () => {
    await using proxy = await startFaultProxy({ target: redis });
    const first = client(proxy.via(redis.url));
    await first.redis.connect();
    const closed = nextEvent(first.redis, 'close');
    proxy.cut();
    await closed;
    expect(first.errors.map((e) => (e as NodeJS.ErrnoException).code)).toContain('ECONNRESET');
    expect(proxy.connections).toBe(0);
    await rejectionOf(first.redis.ping());
    const second = client(proxy.via(redis.url));
    await second.redis.connect();
    expect(await second.redis.ping()).toBe('PONG');
  });

  it('latency delays each direction and keeps order', async () => {
    await using proxy = await startFaultProxy({ target: redis });
    const { redis: c } = client(proxy.via(redis.url));
    await c.connect();
    proxy.latency(150);
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.echo(String(i))));
    // A lower bound only: the delay can't be shorter than asked, whatever the machine's load.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 150 - 5);
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    proxy.latency(0);
    expect(await c.ping()).toBe('PONG');
  });

  it('close stops listening and drops its connections', async () => {
    const proxy = await startFaultProxy({ target: redis });
    const { redis: c } = client(proxy.via(redis.url));
    await c.connect();
    const closed = nextEvent(c, 'close');
    await proxy.close();
    await closed;
    const refused = await rejectionOf(
      new Promise((resolve, reject) => connect(proxy.port, proxy.host).once('connect', resolve).once('error', reject)),
    );
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('a connection to a dead target is closed', async () => {
    const dead: Server = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const address = dead.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => dead.close(resolve));
    await using proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } });
    const socket = connect(proxy.port, proxy.host);
    socket.on('error', () => {});
    await once(socket, 'close');
  });
});
