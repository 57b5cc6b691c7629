import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../src/servers/index.js';
import { etcdHosts, eventually, expectLeftNothing } from './helpers.js';

// One cluster for the file: three etcd members are cheap, but not free.
let cluster: EtcdCluster;
let etcd: Etcd3;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
  etcd = new Etcd3({ hosts: cluster.members.map(etcdHosts) });
});
afterAll(async () => {
  etcd?.close();
  await cluster?.[Symbol.asyncDispose]();
  for (const member of cluster?.members ?? []) expectLeftNothing(member);
});

describe('startEtcdCluster', () => {
  it('forms a 3-member cluster with one leader, reachable through every member', async () => {
    expect(cluster.members).toHaveLength(3);
    expect(cluster.url).toBe(`etcd://${cluster.members.map((m) => `127.0.0.1:${m.port}`).join(',')}`);
    expect(cluster.members).toContain(await cluster.leader());
    const members = await etcd.cluster.memberList({});
    expect(members.members.map((m) => m.name).sort()).toEqual(['etcd0', 'etcd1', 'etcd2']);
    await etcd.put('k').value('v');
    for (const member of cluster.members) {
      const one = new Etcd3({ hosts: etcdHosts(member) });
      expect(await one.get('k').string()).toBe('v');
      one.close();
    }
  });

  it('elects a new leader when the leader is killed, and the old one rejoins on start', async () => {
    const old = await cluster.leader();
    await old.kill();
    const next = await eventually(async () => {
      const leader = await cluster.leader();
      expect(leader).not.toBe(old);
      return leader;
    });
    expect(next.running).toBe(true);
    expect(await etcd.get('k').string()).toBe('v');
    await old.start();
    const rejoined = new Etcd3({ hosts: etcdHosts(old) });
    expect(await rejoined.get('k').string()).toBe('v');
    rejoined.close();
  });
});
