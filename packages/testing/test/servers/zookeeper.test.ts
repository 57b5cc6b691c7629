import { once } from 'node:events';
import { Exception } from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startZookeeper } from '../../src/servers/index.js';
import { zookeeperListError } from '../../src/internal.js';
import { expectLeftNothing, rejectionOf, stillPending, zookeeperConnectString } from './helpers.js';
import { connectZk, type Zk } from './zookeeper-client.js';

const sessions: Zk[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

async function session(...args: Parameters<typeof connectZk>): Promise<Zk> {
  const zk = await connectZk(...args);
  sessions.push(zk);
  return zk;
}

describe('startZookeeper', () => {
  it('starts and answers node-zookeeper-client', async () => {
    await using server = await startZookeeper();
    expect(server.url).toBe(`zookeeper://127.0.0.1:${server.port}`);
    const zk = await session(zookeeperConnectString([server]));
    await zk.create('/k', 'v');
    expect(await zk.getData('/k')).toBe('v');
  });

  it('restart and kill keep the znodes (ZooKeeper persists its data)', async () => {
    await using server = await startZookeeper();
    const before = await session(zookeeperConnectString([server]));
    await before.create('/k', 'v');
    before.close();
    await server.restart();
    await server.kill();
    await server.start();
    expect(await (await session(zookeeperConnectString([server]))).getData('/k')).toBe('v');
  });

  it('kill is seen by the client as a disconnection', async () => {
    await using server = await startZookeeper();
    const zk = await session(zookeeperConnectString([server]));
    const disconnected = once(zk.client, 'disconnected');
    await server.kill();
    await disconnected;
  });

  it('pause leaves a request waiting, resume answers it', async () => {
    await using server = await startZookeeper();
    const zk = await session(zookeeperConnectString([server]));
    await zk.create('/k', 'v');
    await server.pause();
    const pending = zk.getData('/k');
    expect(await stillPending(pending)).toBe(true);
    await server.resume();
    expect(await pending).toBe('v');
  });

  it('leaves nothing behind after dispose', async () => {
    const server = await startZookeeper();
    await server[Symbol.asyncDispose]();
    expectLeftNothing(server);
  });
});

describe('startZookeeper digest auth flavour', () => {
  it('the right digest credentials may list and create under /; wrong ones or none may not', async () => {
    await using server = await startZookeeper({ auth: { user: 'app', password: 'pw' } });
    expect(server.url).toBe(`zookeeper://app:pw@127.0.0.1:${server.port}`);
    const connectString = zookeeperConnectString([server]);

    const right = await session(connectString, {}, 'app:pw');
    await right.create('/mine', 'v');
    expect(await right.getChildren('/')).toContain('mine');

    const code = (error: Error) => (error as unknown as Exception).getCode();
    const wrong = await session(connectString, {}, 'app:nope');
    expect(code(await rejectionOf(wrong.create('/theirs')))).toBe(Exception.NO_AUTH);
    const anonymous = await session(connectString);
    expect(code(await rejectionOf(anonymous.getChildren('/')))).toBe(Exception.NO_AUTH);
  });

  it('enforce: a session that has not logged in is refused outright', async () => {
    await using server = await startZookeeper({ auth: { user: 'app', password: 'pw', enforce: true } });
    // Raw wire: node-zookeeper-client throws on the error code this produces (-124).
    expect(await zookeeperListError(server, '/')).toBe(-124);
    expect(await zookeeperListError(server, '/', 'app:nope')).toBe(Exception.NO_AUTH);
    expect(await zookeeperListError(server, '/', 'app:pw')).toBe(0);
  });
});
