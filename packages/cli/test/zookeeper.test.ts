import { startZookeeper, type ZookeeperServer } from '@tooz/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStoppedOnLoss } from './support/loss.js';
import { runTooz } from './support/tooz.js';
import { cliScenarios, fresh, scratch } from './scenarios.js';

let zookeeper: ZookeeperServer;
beforeAll(async () => {
  zookeeper = await startZookeeper();
});
afterAll(() => zookeeper?.[Symbol.asyncDispose]());

cliScenarios({ driver: 'zookeeper', url: () => zookeeper.url });

describe('tooz on zookeeper: loss and doctor', () => {
  const files = scratch();

  it('stops the command with SIGTERM and exits 4 when the session is lost (server silent past the timeout)', async () => {
    const name = fresh('silenced');
    try {
      await expectStoppedOnLoss(zookeeper.url, name, files.file(`${name}.ready`), () => zookeeper.pause(), [
        '--ttl',
        '2s',
      ]);
    } finally {
      if (zookeeper.paused) await zookeeper.resume();
    }
  });

  it('doctor warns that the server clamped the session timeout, and shows its version', async () => {
    // The fixture's maxSessionTimeout is 60 s.
    const result = await runTooz(zookeeper.url, ['--ttl', '90s', 'doctor', '--json']);
    const report = JSON.parse(result.stdout);
    expect(result.code).toBe(1);
    expect(report.server.sessionTimeoutAskedMs).toBe(90_000);
    expect(report.server.sessionTimeoutGrantedMs).toBe(60_000);
    expect(report.server.version).toMatch(/^3\./);
    expect(report.warnings).toEqual([expect.stringContaining('maxSessionTimeout')]);
  });
});
