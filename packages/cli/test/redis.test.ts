import { type RedisServer, startRedis, waitUntil } from '@tooz/testing';
import { isProcessAlive } from '@tooz/testing/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/run.js';
import { expectStoppedOnLoss } from './support/loss.js';
import { firstLine } from './support/commands.js';
import { PATIENCE, runTooz, startTooz } from './support/tooz.js';
import { cliScenarios, fresh, scratch } from './scenarios.js';

let redis: RedisServer;
beforeAll(async () => {
  // An eviction policy that can evict lock keys: doctor must say so.
  redis = await startRedis({ config: { 'maxmemory-policy': 'volatile-lru', maxmemory: '64mb' } });
});
afterAll(() => redis?.[Symbol.asyncDispose]());

cliScenarios({ driver: 'redis', url: () => redis.url });

describe('tooz on redis: loss and doctor', () => {
  const files = scratch();

  it('stops the command with SIGTERM and exits 4 when the lock key is deleted on the server', async () => {
    const name = fresh('deleted');
    await expectStoppedOnLoss(
      redis.url,
      name,
      files.file(`${name}.ready`),
      async () => {
        await run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'DEL', `tooz_${name}_lock`]);
      },
      ['--ttl', '2s'],
    );
  });

  it('SIGKILLs a command that ignores SIGTERM once --grace has passed, and exits 4', async () => {
    const name = fresh('stubborn');
    const ready = files.file(`${name}.ready`);
    // exec keeps the shell's pid and its ignored SIGTERM: only SIGKILL ends this command.
    const stubborn = ['sh', '-c', `trap '' TERM; echo $$ > '${ready}'; exec sleep 120`];
    const holder = startTooz(redis.url, ['--ttl', '2s', 'lock', name, '--grace', '500ms', '--', ...stubborn]);
    const pid = Number(await firstLine(ready));
    await run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'DEL', `tooz_${name}_lock`]);
    const result = await holder.result();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('SIGKILL after 500 ms');
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('join reports a membership removed on the server and joins again', async () => {
    const group = fresh('rejoined');
    const member = startTooz(redis.url, [
      '--ttl',
      '2s',
      'join',
      group,
      '--create',
      '--json',
      '--member-id',
      'rejoiner',
    ]);
    await member.json((line) => line['event'] === 'joined');
    await run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'HDEL', `tooz_group:${group}`, 'rejoiner']);
    await member.json((line) => line['event'] === 'lost');
    await waitUntil(
      () => member.lines.filter((line) => line.includes('"joined"')).length === 2,
      PATIENCE,
      'joined again',
    );
    const members = JSON.parse((await runTooz(redis.url, ['members', group, '--json'])).stdout).members;
    expect(members).toEqual([{ member: 'rejoiner', capabilities: null }]);
    member.signal('SIGINT');
    expect((await member.result()).code).toBe(0);
  });

  it('doctor warns that volatile-lru can evict lock keys, and exits 1', async () => {
    const result = await runTooz(redis.url, ['doctor', '--json']);
    const report = JSON.parse(result.stdout);
    expect(result.code).toBe(1);
    expect(report.server.maxmemoryPolicy).toBe('volatile-lru');
    expect(report.server.version).toMatch(/^\d+\.\d+/);
    expect(typeof report.server.clockOffsetMs).toBe('number');
    expect(report.warnings.join('\n')).toMatch(/maxmemory-policy is volatile-lru.*every lock/);
    const table = await runTooz(redis.url, ['doctor']);
    expect(table.stdout).toMatch(/^server maxmemoryPolicy\s+volatile-lru$/m);
    expect(table.stdout).toContain('WARNINGS');
  });
});
