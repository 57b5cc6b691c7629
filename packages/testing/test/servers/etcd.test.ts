import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { startEtcd } from '../../src/servers/index.js';
import { etcdHosts, expectLeftNothing, rejectionOf, stillPending } from './helpers.js';

const clients: Etcd3[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(options: IOptions): Etcd3 {
  const etcd = new Etcd3(options);
  clients.push(etcd);
  return etcd;
}

/** Fails a call after a few seconds instead of retrying for long: used where a failure is expected. */
const impatient = { defaultCallOptions: () => ({ deadline: Date.now() + 3000 }) };

describe('startEtcd', () => {
  it('starts and answers etcd3', async () => {
    await using server = await startEtcd();
    expect(server.url).toBe(`etcd://127.0.0.1:${server.port}`);
    const etcd = client({ hosts: etcdHosts(server) });
    await etcd.put('k').value('v');
    expect(await etcd.get('k').string()).toBe('v');
  });

  it('restart and kill keep the data (etcd persists every write)', async () => {
    await using server = await startEtcd();
    await client({ hosts: etcdHosts(server) })
      .put('k')
      .value('v');
    await server.restart();
    await server.kill();
    await server.start();
    expect(
      await client({ hosts: etcdHosts(server) })
        .get('k')
        .string(),
    ).toBe('v');
  });

  it('kill is seen by the client', async () => {
    await using server = await startEtcd();
    const etcd = client({ hosts: etcdHosts(server), ...impatient });
    await etcd.put('k').value('v');
    await server.kill();
    await expect(etcd.get('k').string()).rejects.toThrow();
  });

  it('pause leaves a call waiting, resume answers it', async () => {
    await using server = await startEtcd();
    const etcd = client({ hosts: etcdHosts(server) });
    await etcd.put('k').value('v');
    await server.pause();
    const pending = etcd.get('k').string();
    expect(await stillPending(pending)).toBe(true);
    await server.resume();
    expect(await pending).toBe('v');
  });

  it('leaves nothing behind after dispose', async () => {
    const server = await startEtcd();
    await server[Symbol.asyncDispose]();
    expectLeftNothing(server);
  });
});

describe('startEtcd auth and TLS flavours', () => {
  it('user and password: accepted when right, refused when wrong or missing', async () => {
    await using server = await startEtcd({ auth: { user: 'app', password: 'pw' } });
    expect(server.url).toBe(`etcd://app:pw@127.0.0.1:${server.port}`);
    const hosts = etcdHosts(server);
    const right = client({ hosts, auth: { username: 'app', password: 'pw' } });
    await right.put('k').value('v');
    expect(await right.get('k').string()).toBe('v');
    const wrong = client({ hosts, auth: { username: 'app', password: 'nope' }, ...impatient });
    expect((await rejectionOf(wrong.get('k').string())).message).toMatch(/authentication failed/i);
    const anonymous = client({ hosts, ...impatient });
    expect((await rejectionOf(anonymous.get('k').string())).message).toMatch(
      /user name is empty|permission denied|invalid auth token/i,
    );
  });

  it('auth survives a restart', async () => {
    await using server = await startEtcd({ auth: { password: 'pw' } });
    expect(server.username).toBe('root');
    await server.restart();
    const etcd = client({ hosts: etcdHosts(server), auth: { username: 'root', password: 'pw' } });
    await etcd.put('k').value('v');
    expect(await etcd.get('k').string()).toBe('v');
  });

  it('TLS: a client trusting the test CA works, a plain one does not', async () => {
    await using server = await startEtcd({ tls: true });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    expect(server.url).toBe(`etcds://127.0.0.1:${server.port}`);
    const secure = client({ hosts: etcdHosts(server), credentials: { rootCertificate: readFileSync(certs.ca) } });
    await secure.put('k').value('v');
    const plain = client({ hosts: `http://${server.host}:${server.port}`, ...impatient });
    await expect(plain.get('k').string()).rejects.toThrow();
  });

  it('TLS with client certificates: refused without one', async () => {
    await using server = await startEtcd({ tls: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const rootCertificate = readFileSync(certs.ca);
    const withCert = client({
      hosts: etcdHosts(server),
      credentials: {
        rootCertificate,
        certChain: readFileSync(certs.clientCert),
        privateKey: readFileSync(certs.clientKey),
      },
    });
    await withCert.put('k').value('v');
    const without = client({ hosts: etcdHosts(server), credentials: { rootCertificate }, ...impatient });
    await expect(without.get('k').string()).rejects.toThrow();
  });
});
