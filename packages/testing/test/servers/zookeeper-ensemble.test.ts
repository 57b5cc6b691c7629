import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZookeeperEnsemble, type ZookeeperEnsemble } from '../../src/servers/index.js';
import { eventually, expectLeftNothing, zookeeperConnectString } from './helpers.js';
import { connectZk, type Zk } from './zookeeper-client.js';

// The only ensemble of the suite: three JVMs are the slowest fixture here.
let ensemble: ZookeeperEnsemble;
let zk: Zk;
beforeAll(async () => {
  ensemble = await startZookeeperEnsemble(3);
  zk = await connectZk(zookeeperConnectString(ensemble.members));
});
afterAll(async () => {
  zk?.close();
  await ensemble?.[Symbol.asyncDispose]();
  for (const member of ensemble?.members ?? []) expectLeftNothing(member);
});

describe('startZookeeperEnsemble', () => {
  it('forms a 3-member quorum with one leader, every member serving the same data', async () => {
    expect(ensemble.members).toHaveLength(3);
    expect(ensemble.url).toBe(`zookeeper://${ensemble.members.map((m) => `127.0.0.1:${m.port}`).join(',')}`);
    expect(ensemble.members.map((m) => m.myid)).toEqual([1, 2, 3]);
    expect(ensemble.members).toContain(await ensemble.leader());
    await zk.create('/k', 'v');
    for (const member of ensemble.members) {
      const one = await connectZk(zookeeperConnectString([member]));
      expect(await one.getData('/k')).toBe('v');
      one.close();
    }
  });

  it('elects a new leader when the leader is killed; the old one rejoins as follower', async () => {
    const old = await ensemble.leader();
    await old.kill();
    const next = await eventually(async () => {
      const leader = await ensemble.leader();
      expect(leader).not.toBe(old);
      return leader;
    });
    expect(next.running).toBe(true);
    expect(await eventually(() => zk.getData('/k'))).toBe('v');
    await old.start();
    expect(await ensemble.leader()).toBe(next);
    const rejoined = await connectZk(zookeeperConnectString([old]));
    expect(await rejoined.getData('/k')).toBe('v');
    rejoined.close();
  });
});
