import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisSentinelCluster, startRedisSentinel } from '../../src/servers/index.js';
import { eventually, expectLeftNothing } from './helpers.js';

let cluster: RedisSentinelCluster;
let client: Redis;
beforeAll(async () => {
  cluster = await startRedisSentinel();
  client = new Redis({
    sentinels: cluster.sentinels.map(({ host, port }) => ({ host, port })),
    name: cluster.masterName,
  });
  client.on('error', () => {
    // Reconnection after the failover is what is tested.
  });
});
afterAll(async () => {
  client?.disconnect();
  await cluster?.[Symbol.asyncDispose]();
  for (const server of [...(cluster?.members ?? []), ...(cluster?.sentinels ?? [])]) expectLeftNothing(server);
});

const role = async (port: number) => {
  const direct = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  try {
    await direct.connect();
    return (await direct.role())[0];
  } finally {
    direct.disconnect();
  }
};

describe('startRedisSentinel', () => {
  it('runs a primary, a replica and three sentinels that agree on the primary', async () => {
    expect(cluster.members).toEqual([cluster.primary, cluster.replica]);
    expect(cluster.sentinels).toHaveLength(3);
    expect(cluster.url).toBe(
      `redis+sentinel://${cluster.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/mymaster`,
    );
    expect(await cluster.leader()).toBe(cluster.primary);
    expect(await role(cluster.primary.port)).toBe('master');
    expect(await role(cluster.replica.port)).toBe('slave');
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
  });

  it('fails over to the replica when the primary is killed; the client follows; the old primary rejoins as replica', async () => {
    await client.set('before', '1');
    // Make sure the replica has it before the primary dies.
    await client.wait(1, 10_000);
    await cluster.primary.kill();
    await eventually(async () => expect(await cluster.leader()).toBe(cluster.replica));
    expect(await eventually(() => client.get('before'))).toBe('1');
    await cluster.primary.start();
    // Sentinel turns a returning old primary into a replica only after it has seen it up and claiming
    // to be a primary for 8 s, from INFO it asks every 10 s, and not at all while in TILT mode (30 s,
    // entered when its own timer runs late, as on a loaded machine): a minute was once not enough.
    await eventually(async () => expect(await role(cluster.primary.port)).toBe('slave'), 150_000);
  }, 240_000);
});
