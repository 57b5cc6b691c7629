import { waitUntil } from '@tooz/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { firstLine, holdUntilStopped, readLines } from './support/commands.js';
import { killToozProcesses, PATIENCE, runTooz, startTooz } from './support/tooz.js';
import { fresh, scratch } from './scenarios.js';

const files = scratch();
const url = `file://${scratch().dir}`;
afterEach(() => killToozProcesses());

const leaderOf = async (group: string) =>
  JSON.parse((await runTooz(url, ['leader', group, '--json'])).stdout).leader as string | null;

describe('tooz elect', () => {
  it('runs the command only while leading: stopped on stand-down (SIGUSR2), run again when elected again', async () => {
    const group = fresh('elected');
    const [readyA, readyB] = [files.file(`${group}.a`), files.file(`${group}.b`)];
    // After standing down, a waits (up to a minute) for b to take the seat before standing again.
    const a = startTooz(url, [
      '--member-id',
      'a',
      '--stand-down-grace',
      '60s',
      'elect',
      group,
      '--',
      ...holdUntilStopped(readyA),
    ]);
    const firstTerm = BigInt(await firstLine(readyA));
    const b = startTooz(url, ['--member-id', 'b', 'elect', group, '--', ...holdUntilStopped(readyB)]);

    a.signal('SIGUSR2');
    // a's command was stopped (its trap noted SIGTERM) before the seat went to b.
    const secondTerm = BigInt(await firstLine(readyB));
    expect(readLines(readyA)).toEqual([String(firstTerm), 'TERM']);
    expect(secondTerm).toBeGreaterThan(firstTerm);
    expect(await leaderOf(group)).toBe('b');

    b.signal('SIGINT');
    expect((await b.result()).code).toBe(130);
    // a stood on: elected again, its command runs again with the new term.
    await waitUntil(() => (readLines(readyA)[0] ?? 'TERM') !== String(firstTerm), PATIENCE, 'a runs again');
    expect(BigInt(readLines(readyA)[0] ?? '0')).toBeGreaterThan(secondTerm);
    a.signal('SIGINT');
    expect((await a.result()).code).toBe(130);
    expect(await leaderOf(group)).toBeNull();
  });

  it("exits with the command's status when it ends on its own, giving the seat up", async () => {
    const group = fresh('once');
    const result = await runTooz(url, ['elect', group, '--', 'sh', '-c', 'exit 5']);
    expect(result.code).toBe(5);
    expect(await leaderOf(group)).toBeNull();
  });

  it('with --restart, stands down and stands again each time the command ends', async () => {
    const group = fresh('restarted');
    const log = files.file(`${group}.log`);
    const elector = startTooz(url, [
      '--stand-down-grace',
      '100ms',
      'elect',
      group,
      '--restart',
      '--',
      'sh',
      '-c',
      `echo "$TOOZ_FENCING_TOKEN" >> '${log}'`,
    ]);
    await waitUntil(() => readLines(log).length >= 3, PATIENCE, 'three runs');
    elector.signal('SIGINT');
    await elector.result();
    const terms = readLines(log).map(BigInt);
    for (let i = 1; i < terms.length; i++) expect(terms[i]).toBeGreaterThan(terms[i - 1] ?? 0n);
    expect(await leaderOf(group)).toBeNull();
  });
});
