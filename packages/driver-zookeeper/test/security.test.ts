import { randomUUID } from 'node:crypto';
import { ConnectionError, type Coordinator, connect, registerDriver } from '@tooz/core';
import * as driverModule from '@tooz/driver-zookeeper';
import { zookeeper } from '@tooz/driver-zookeeper';
import { Permission } from 'node-zookeeper-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startZookeeper, type ZookeeperServer } from '@tooz/testing';
import { Inspector } from './support/inspect.js';

// A server that enforces digest authentication, its root given to `app` alone.
const USER = 'app';
const PASSWORD = 'pw-7Hq2-secret';
let server: ZookeeperServer;
let inspector: Inspector;
const open: Coordinator[] = [];

beforeAll(async () => {
  registerDriver(['zookeeper', 'kazoo'], driverModule);
  server = await startZookeeper({ auth: { user: USER, password: PASSWORD } });
  inspector = await Inspector.connect(`${server.host}:${server.port}`, `${USER}:${PASSWORD}`);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  inspector?.close();
  await server?.[Symbol.asyncDispose]();
});

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const url = (userinfo: string) => `zookeeper://${userinfo}@${server.host}:${server.port}?session_timeout=5`;

async function refusal(promise: Promise<unknown>): Promise<ConnectionError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the connection to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

/** Everything an error could show: message, stack, causes. */
function everything(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    parts.push(String(e), String((e as Error).stack ?? ''), JSON.stringify(e));
  }
  return parts.join('\n');
}

describe('digest authentication', () => {
  it('works with the right credentials; nodes it creates carry a digest ACL for them', async () => {
    const coordinator = await connect(url(`${USER}:${PASSWORD}`), { memberId: id('m') });
    open.push(coordinator);
    expect(coordinator.driver.description).not.toContain(PASSWORD);
    const group = id('group');
    await coordinator.group(group).create();
    const lease = await coordinator.acquire(id('lock'));
    await lease.release();
    const [acl] = await inspector.acl(`/tooz/${group}`);
    expect(acl?.id.scheme).toBe('digest');
    expect(acl?.id.id.startsWith(`${USER}:`)).toBe(true);
    // The typings call it `perms`; the library's field is `permission`.
    expect((acl as unknown as { permission: number }).permission).toBe(Permission.ALL);
  });

  it('refuses a wrong password with a clear, non-retryable error that does not contain it', async () => {
    const wrong = 'not-the-Pa55word';
    const error = await refusal(connect(url(`${USER}:${wrong}`), { memberId: id('m') }));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/refused access/);
    expect(error.message).toContain(`"${USER}"`);
    expect(everything(error)).not.toContain(wrong);
    expect(everything(error)).not.toContain(PASSWORD);
  });

  it('refuses a connection without credentials, saying that they may be needed', async () => {
    const error = await refusal(
      connect(zookeeper({ hosts: `${server.host}:${server.port}`, connectTimeout: 5_000 }), { memberId: id('m') }),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/without credentials/);
  });

  it('creates world-readable nodes with acl=open', async () => {
    const coordinator = await connect(`${url(`${USER}:${PASSWORD}`)}&acl=open`, { memberId: id('m') });
    open.push(coordinator);
    const group = id('group');
    await coordinator.group(group).create();
    const [acl] = await inspector.acl(`/tooz/${group}`);
    expect(acl?.id.scheme).toBe('world');
  });
});
