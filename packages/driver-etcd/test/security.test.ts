import { ConnectionError, connect, isToozError, type Coordinator } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type EtcdServer, startEtcd, waitUntil } from '@tooz/testing';
import { uid } from './helpers.js';

const PASSWORD = 'Corr3ct-horse-battery';
const WRONG = 'Wr0ng-staple-guess';

const open: Coordinator[] = [];
const servers: EtcdServer[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s[Symbol.asyncDispose]()));
});

async function server(options: Parameters<typeof startEtcd>[0]): Promise<EtcdServer> {
  const started = await startEtcd(options);
  servers.push(started);
  return started;
}

/** Proves a coordinator works end to end: a lock, a group, an event. */
async function exercise(coordinator: Coordinator): Promise<void> {
  open.push(coordinator);
  const lease = await coordinator.acquire(uid('lock'));
  expect(lease.fencingToken > 0n).toBe(true);
  await lease.release();
  const group = uid('g');
  await coordinator.group(group).create();
  expect(await coordinator.groups()).toContain(group);
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    open.push((await promise) as Coordinator);
  } catch (error) {
    return error;
  }
  throw new Error('expected the connection to be refused');
}

describe('etcd users with a password', () => {
  it('connects with the credentials in the URL, and with options', async () => {
    const etcdServer = await server({ auth: { user: 'app', password: PASSWORD } });
    await exercise(await connect(etcdServer.url, { memberId: uid('m') }));
    await exercise(
      await connect(etcd({ hosts: `${etcdServer.host}:${etcdServer.port}`, username: 'app', password: PASSWORD }), {
        memberId: uid('m'),
      }),
    );
  });

  it('refuses a wrong password with a clear, final error that does not contain it', async () => {
    const etcdServer = await server({ auth: { user: 'app', password: PASSWORD } });
    const url = `etcd://app:${WRONG}@${etcdServer.host}:${etcdServer.port}`;
    const attempts = [
      () => connect(url, { memberId: uid('m') }),
      () =>
        connect(etcd({ hosts: `${etcdServer.host}:${etcdServer.port}`, username: 'app', password: WRONG }), {
          memberId: uid('m'),
        }),
    ];
    for (const attempt of attempts) {
      const error = await refusal(attempt());
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/refused the user name or password/);
      const everything = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`;
      expect(everything).not.toContain(WRONG);
      expect(everything).not.toContain(PASSWORD);
    }
  });

  it('refuses an unknown user the same way', async () => {
    const etcdServer = await server({ auth: { user: 'app', password: PASSWORD } });
    const error = await refusal(
      connect(`etcd://nobody:${PASSWORD}@${etcdServer.host}:${etcdServer.port}`, { memberId: uid('m') }),
    );
    expect(isToozError(error, 'CONNECTION')).toBe(true);
    expect((error as ConnectionError).retryable).toBe(false);
    expect(String(error)).not.toContain(PASSWORD);
  });

  it('keeps watching and holding across a server restart, which forgets every auth token', async () => {
    const etcdServer = await server({ auth: { user: 'app', password: PASSWORD } });
    const a = await connect(etcdServer.url, { memberId: uid('a'), ttl: 15_000 });
    open.push(a);
    const group = uid('g');
    await a.group(group).create();
    const events: string[] = [];
    a.group(group).events$.subscribe((event) => events.push(`${event.type} ${event.memberId}`));
    await a.group(group).members();
    const lease = await a.acquire(uid('lock'));
    await etcdServer.restart();
    const b = await connect(etcdServer.url, { memberId: uid('b'), ttl: 15_000 });
    open.push(b);
    b.group(group)
      .join()
      .subscribe({ error: () => undefined });
    await waitUntil(() => events.includes(`joined ${b.memberId}`), 30_000, 'the join seen after the restart');
    await waitUntil(() => lease.state === 'held', 30_000, 'held');
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
  });
});

describe('TLS with generated certificates', () => {
  it('connects over etcds:// trusting the test CA (as an option or as tooz ca_cert in the URL)', async () => {
    const etcdServer = await server({ tls: true });
    const ca = etcdServer.certs?.ca ?? '';
    await exercise(await connect(etcdServer.url, { memberId: uid('m'), caCert: ca }));
    await exercise(await connect(`${etcdServer.url}?ca_cert=${encodeURIComponent(ca)}`, { memberId: uid('m') }));
  });

  it('fails against a server whose certificate it cannot verify', async () => {
    const etcdServer = await server({ tls: true });
    const error = await refusal(connect(etcdServer.url, { memberId: uid('m'), requestTimeout: 2_000 }));
    expect(error).toBeInstanceOf(ConnectionError);
  });

  it('presents a client certificate to a server that requires one', async () => {
    const etcdServer = await server({ tls: { clientAuth: true } });
    const certs = etcdServer.certs;
    if (!certs) throw new Error('no certificates');
    await exercise(
      await connect(etcdServer.url, {
        memberId: uid('m'),
        caCert: certs.ca,
        certKey: certs.clientKey,
        certCert: certs.clientCert,
      }),
    );
    expect(
      await refusal(connect(etcdServer.url, { memberId: uid('m'), caCert: certs.ca, requestTimeout: 2_000 })),
    ).toBeInstanceOf(ConnectionError);
  });

  it('combines TLS and a password', async () => {
    const etcdServer = await server({ tls: true, auth: { user: 'app', password: PASSWORD } });
    await exercise(await connect(etcdServer.url, { memberId: uid('m'), caCert: etcdServer.certs?.ca ?? '' }));
  });
});
