import { type PostgresServer, startPostgres } from '@tooz/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStoppedOnLoss } from './support/loss.js';
import { run } from './support/run.js';
import { runTooz } from './support/tooz.js';
import { cliScenarios, fresh, scratch } from './scenarios.js';

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(() => postgres?.[Symbol.asyncDispose]());

cliScenarios({ driver: 'postgres', url: () => postgres.url });

describe('tooz on postgres: loss and doctor', () => {
  const files = scratch();

  it('stops the command with SIGTERM and exits 4 when its server session is killed', async () => {
    const name = fresh('killed');
    // Its own application name, so that only this tooz's session connection is terminated.
    const url = `${postgres.url}?application_name=${name}`;
    await expectStoppedOnLoss(url, name, files.file(`${name}.ready`), async () => {
      const killed = await run('psql', [
        postgres.url,
        '-Atc',
        `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '${name}'`,
      ]);
      expect(killed.trim()).toBe('1');
    });
  });

  it('doctor reports the version, the role and the server side of the session timeout', async () => {
    const result = await runTooz(postgres.url, ['doctor', '--json']);
    const report = JSON.parse(result.stdout);
    expect(report.warnings).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.server.role).toBe('primary');
    expect(report.server.version).toMatch(/^\d+/);
    expect(report.server.tcpUserTimeoutMs).toBe(10_000);
    expect(typeof report.server.clockOffsetMs).toBe('number');
  });
});
