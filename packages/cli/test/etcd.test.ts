import { type EtcdServer, startEtcd } from '@tooz/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStoppedOnLoss } from './support/loss.js';
import { run } from './support/run.js';
import { runTooz } from './support/tooz.js';
import { cliScenarios, fresh, scratch } from './scenarios.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(() => etcd?.[Symbol.asyncDispose]());

cliScenarios({ driver: 'etcd', url: () => etcd.url });

describe('tooz on etcd: loss and doctor', () => {
  const files = scratch();

  it('stops the command with SIGTERM and exits 4 when its session lease is revoked', async () => {
    const name = fresh('revoked');
    const endpoint = `--endpoints=http://${etcd.host}:${etcd.port}`;
    await expectStoppedOnLoss(etcd.url, name, files.file(`${name}.ready`), async () => {
      // Only the holder's tooz is connected now: its lease is the only one (or one of a previous test's, also gone).
      const leases = (await run('etcdctl', [endpoint, 'lease', 'list'])).split('\n').slice(1).filter(Boolean);
      expect(leases.length).toBeGreaterThan(0);
      for (const lease of leases) await run('etcdctl', [endpoint, 'lease', 'revoke', lease.trim()]);
    });
  });

  it('doctor reports the version, the raft leader and the lease TTL', async () => {
    const result = await runTooz(etcd.url, ['--ttl', '5s', 'doctor', '--json']);
    const report = JSON.parse(result.stdout);
    expect(report.warnings).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.server.version).toMatch(/^3\./);
    expect(report.server.leader).toBe(report.server.member);
    expect(report.server.leaseTtlMs).toBe(5_000);
  });
});
