import { ConnectionError, connect, isToozError } from '@tooz/core';
import { type MemcachedServer, rejectionOf, startFaultProxy, startMemcached } from '@tooz/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: MemcachedServer;
beforeAll(async () => {
  // ssl_verify_mode=2: the server refuses a client without a certificate of its CA.
  server = await startMemcached({ tls: { clientAuth: true } });
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const memberId = () => `tls-${process.pid}-${++counter}`;

async function oneLock(url: string, options: Record<string, unknown> = {}): Promise<void> {
  const c = await connect(url, { memberId: memberId(), ...options });
  try {
    await (await c.acquire(`tls-lock-${counter}`, { wait: 0 })).release();
  } finally {
    await c.close();
  }
}

describe('TLS with a client certificate (memcached -Z, ssl_verify_mode=2)', () => {
  it('logs in with tlsCert and tlsKey given as options', async () => {
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    await oneLock(`memcacheds://${server.host}:${server.port}`, {
      tlsCa: certs.ca,
      tlsCert: certs.clientCert,
      tlsKey: certs.clientKey,
    });
  });

  it("logs in with tooz's URL names (use_ssl, ca_cert, ssl_cert, ssl_key)", async () => {
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const query = new URLSearchParams({
      use_ssl: '1',
      ca_cert: certs.ca,
      ssl_cert: certs.clientCert,
      ssl_key: certs.clientKey,
    });
    await oneLock(`memcached://${server.host}:${server.port}?${query}`);
  });

  it('connects by a name the certificate lacks only when told not to check it', async () => {
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const options = { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, connectTimeout: 2_000 };
    // 127.0.0.2 reaches the same server through a plain TCP relay, but the certificate names 127.0.0.1 only.
    await using relay = await startFaultProxy({ target: server, host: '127.0.0.2' });
    const url = `memcacheds://${relay.address}`;
    expect(await rejectionOf(oneLock(url, options))).toBeInstanceOf(ConnectionError);
    await oneLock(`${url}?tlsCheckHostname=false`, options);
    await oneLock(`memcached://${relay.address}?use_ssl=1&ssl_check_hostname=0`, options);
  });

  it('is refused without a client certificate, with a typed error', async () => {
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const error = await rejectionOf(
      oneLock(`memcacheds://${server.host}:${server.port}`, { tlsCa: certs.ca, connectTimeout: 2_000 }),
    );
    expect(isToozError(error)).toBe(true);
    expect(error).toBeInstanceOf(ConnectionError);
  });
});
