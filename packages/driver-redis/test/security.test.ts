import { ConnectionError, connect } from '@tooz/core';
import { redis } from '@tooz/driver-redis';
import { type RedisServer, rejectionOf, startRedis } from '@tooz/testing';
import { everythingShown } from '@tooz/testing/conformance';
import { afterAll, describe, expect, it } from 'vitest';

const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s[Symbol.asyncDispose]()));
});

async function start(options: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

async function roundTrip(url: string, options: Record<string, unknown> = {}): Promise<void> {
  const coordinator = await connect(url, { memberId: 'secure', ...options });
  try {
    await (await coordinator.acquire('secured', { wait: 0 })).release();
  } finally {
    await coordinator.close();
  }
}

describe('credentials', () => {
  const password = 'pw-Tr0ub4dor&3';

  it('logs in with the default user password', async () => {
    const server = await start({ password });
    await roundTrip(server.url);
  });

  it('refuses a wrong password with a clear, non-retryable error that contains no password', async () => {
    const server = await start({ password });
    const wrong = 'not-the-pw-9f2c';
    for (const attempt of [
      () => connect(`redis://:${encodeURIComponent(wrong)}@${server.host}:${server.port}`, { memberId: 'x' }),
      () => connect(redis({ host: server.host, port: server.port, password: wrong }), { memberId: 'x' }),
    ]) {
      const error = await rejectionOf(attempt());
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/refused the credentials.*WRONGPASS/);
      expect(everythingShown(error)).not.toContain(wrong);
      expect(everythingShown(error)).not.toContain(password);
    }
  });

  it('refuses a missing password', async () => {
    const server = await start({ password });
    const error = await rejectionOf(connect(`redis://${server.host}:${server.port}`, { memberId: 'x' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
  });

  it('logs in as an ACL user, and refuses its wrong password', async () => {
    const server = await start({ user: { name: 'app', password: 'app-s3cret-pw' } });
    expect(server.url).toContain('app:');
    await roundTrip(server.url);
    const error = await rejectionOf(
      connect(`redis://app:wrong-app-pw@${server.host}:${server.port}`, { memberId: 'x' }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
    expect(everythingShown(error)).not.toContain('wrong-app-pw');
    expect(everythingShown(error)).not.toContain('app-s3cret-pw');
  });
});

describe('TLS', () => {
  it('connects over rediss:// trusting the given CA (tooz spelling and ours)', async () => {
    const server = await start({ tls: true });
    const ca = server.certs?.ca ?? '';
    expect(server.url.startsWith('rediss://')).toBe(true);
    await roundTrip(`${server.url}?ssl_ca_certs=${encodeURIComponent(ca)}`);
    await roundTrip(server.url, { tlsCaFile: ca });
  });

  it('refuses a server certificate it cannot verify', async () => {
    const server = await start({ tls: true });
    const error = await rejectionOf(connect(server.url, { memberId: 'x', connectTimeout: 2_000 }));
    expect(error).toBeInstanceOf(ConnectionError);
  });

  it('presents a client certificate when the server asks for one', async () => {
    const server = await start({ tls: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    await roundTrip(server.url, { tlsCaFile: certs.ca, tlsCertFile: certs.clientCert, tlsKeyFile: certs.clientKey });
  });
});
