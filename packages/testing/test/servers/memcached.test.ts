import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import Memcached from 'memcached';
import { afterEach, describe, expect, it } from 'vitest';
import { type MemcachedServer, memcachedAuthCommand, startMemcached } from '../../src/servers/index.js';
import { expectLeftNothing, rejectionOf, stillPending } from './helpers.js';

const clients: Memcached[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.end();
});

/** A client that reports the first failure instead of retrying for minutes. */
function client(server: MemcachedServer, timeout = 5000): Memcached {
  const memcached = new Memcached(`${server.host}:${server.port}`, {
    retries: 0,
    retry: 100,
    timeout,
    failures: 0,
    idle: 0,
  });
  clients.push(memcached);
  return memcached;
}

const set = (m: Memcached, key: string, value: string) =>
  new Promise<void>((resolve, reject) => m.set(key, value, 0, (error) => (error ? reject(error) : resolve())));
const get = (m: Memcached, key: string) =>
  new Promise<unknown>((resolve, reject) => m.get(key, (error, data) => (error ? reject(error) : resolve(data))));

/** Sends raw text and returns what comes back up to the first line ending in `until`. */
function exchange(socket: Socket, text: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (until.test(answer)) resolve(answer);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(text);
  });
}

describe('startMemcached', () => {
  it('starts and answers the memcached client', async () => {
    await using server = await startMemcached();
    expect(server.url).toBe(`memcached://127.0.0.1:${server.port}`);
    const m = client(server);
    await set(m, 'k', 'v');
    expect(await get(m, 'k')).toBe('v');
  });

  it('restart loses every key (memcached keeps nothing on disk)', async () => {
    await using server = await startMemcached();
    await set(client(server), 'k', 'v');
    await server.restart();
    expect(await get(client(server), 'k')).toBeUndefined();
  });

  it('kill is seen by the client', async () => {
    await using server = await startMemcached();
    const m = client(server);
    await set(m, 'k', 'v');
    await server.kill();
    await expect(get(m, 'k')).rejects.toBeTruthy();
  });

  it('pause leaves requests unanswered; resume answers them', async () => {
    await using server = await startMemcached();
    const m = client(server);
    await set(m, 'k', 'v');
    await server.pause();
    const pending = get(m, 'k');
    expect(await stillPending(pending)).toBe(true);
    await server.resume();
    expect(await pending).toBe('v');
  });

  it('leaves nothing behind after dispose', async () => {
    const server = await startMemcached();
    await server[Symbol.asyncDispose]();
    expectLeftNothing(server);
  });
});

describe('startMemcached auth and TLS flavours', () => {
  it('ASCII auth: the right credentials are accepted, wrong or none refused', async () => {
    await using server = await startMemcached({ auth: { user: 'app', password: 'pw' } });
    const talk = (text: string) => exchange(netConnect(server.port, server.host), text, /(VERSION|ERROR)[^\n]*\r\n$/);
    expect(await talk(`${memcachedAuthCommand('app', 'pw')}version\r\n`)).toMatch(/STORED\r\nVERSION /);
    expect(await talk(`${memcachedAuthCommand('app', 'wrong')}version\r\n`)).toMatch(/CLIENT_ERROR/);
    expect(await talk('version\r\n')).toMatch(/CLIENT_ERROR/);
  });

  it('TLS: a client trusting the test CA is answered, a plain one is not', async () => {
    await using server = await startMemcached({ tls: true });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const secure = tlsConnect({ host: server.host, port: server.port, ca: readFileSync(certs.ca) });
    expect(await exchange(secure, 'version\r\n', /VERSION [^\n]*\r\n$/)).toMatch(/^VERSION /);
    secure.destroy();
    const plain = netConnect(server.port, server.host);
    const answer = await exchange(plain, 'version\r\n', /VERSION [^\n]*\r\n$/).catch((error: Error) => error.message);
    expect(answer).not.toMatch(/^VERSION /);
    plain.destroy();
  });

  it('TLS with client authentication: refuses a client without a certificate', async () => {
    await using server = await startMemcached({ tls: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const withCert = tlsConnect({
      host: server.host,
      port: server.port,
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    expect(await exchange(withCert, 'version\r\n', /VERSION [^\n]*\r\n$/)).toMatch(/^VERSION /);
    withCert.destroy();
    const without = tlsConnect({ host: server.host, port: server.port, ca: readFileSync(certs.ca) });
    const refused = await rejectionOf(
      exchange(without, 'version\r\n', /VERSION [^\n]*\r\n$/).then((a) => {
        if (!a.startsWith('VERSION')) throw new Error(`refused: ${JSON.stringify(a)}`);
        return a;
      }),
    );
    expect(refused.message).toBeTruthy();
    without.destroy();
  });
});
