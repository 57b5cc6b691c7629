import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appendWithToken, firstLine, holdUntilStopped, readLines } from './support/commands.js';
import { killToozProcesses, runTooz, startTooz } from './support/tooz.js';

export interface Backend {
  /** The driver's name, as `doctor` reports it. */
  readonly driver: string;
  /** The URL, once the server runs (called inside tests). */
  url(): string;
}

let unique = 0;
/** A name no other test uses, so that tests share one server without meeting. */
export const fresh = (what: string) => `${what}-${process.pid}-${++unique}`;

/** A directory for the files the commands write. */
export function scratch(): { dir: string; file(name: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'tooz-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, file: (name) => join(dir, name) };
}

/** Every JSON line of a result's stdout. */
export const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** What every backend must do through the CLI. */
export function cliScenarios(backend: Backend): void {
  const files = scratch();
  afterEach(() => killToozProcesses());

  describe(`tooz on ${backend.driver}`, () => {
    it('two tooz lock processes never run their commands at once; tokens increase', async () => {
      const name = fresh('exclusive');
      const log = files.file(`${name}.log`);
      const runs = Array.from({ length: 4 }, () =>
        startTooz(backend.url(), ['lock', name, '--', ...appendWithToken(log)]),
      );
      const results = await Promise.all(runs.map((run) => run.result()));
      expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
      const lines = readLines(log);
      expect(lines).toHaveLength(8);
      const tokens: bigint[] = [];
      for (let i = 0; i < lines.length; i += 2) {
        const [start, end] = [lines[i] ?? '', lines[i + 1] ?? ''];
        // Each start is followed by the end of the same holder: no other command ran in between.
        expect(start).toMatch(/^start \d+$/);
        expect(end).toBe(start.replace('start', 'end'));
        tokens.push(BigInt(start.split(' ')[1] ?? ''));
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] ?? 0n);
    });

    it('passes the command status through, and exits 3, 2 and 127 as documented', async () => {
      const name = fresh('codes');
      const own = await runTooz(backend.url(), ['lock', name, '--', 'sh', '-c', 'exit 7']);
      expect(own.code).toBe(7);

      const ready = files.file(`${name}.ready`);
      const holder = startTooz(backend.url(), ['lock', name, '--', ...holdUntilStopped(ready)]);
      await firstLine(ready);
      const busy = await runTooz(backend.url(), ['lock', name, '--wait', '0', '--', 'true']);
      expect(busy.code).toBe(3);
      expect(busy.stderr).toContain('not acquired');
      holder.signal('SIGTERM');
      // The command caught SIGTERM (forwarded by tooz) and exited 0: that status is tooz's.
      expect((await holder.result()).code).toBe(0);

      const usage = await runTooz(backend.url(), ['lock', name, '--wait', 'soon', '--', 'true']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--wait');
      const missing = await runTooz(backend.url(), ['lock', name, '--', 'tooz-test-no-such-command']);
      expect(missing.code).toBe(127);
    });

    it('watch shows a member joining and leaving, as JSON lines', async () => {
      const group = fresh('watched');
      const first = startTooz(backend.url(), ['join', group, '--create', '--json', '--member-id', 'first']);
      await first.json((event) => event['event'] === 'joined');
      const watch = startTooz(backend.url(), ['watch', group, '--json']);
      await watch.json((line) => line['event'] === 'present' && line['member'] === 'first');
      const second = startTooz(backend.url(), [
        'join',
        group,
        '--json',
        '--member-id',
        'second',
        '--capabilities',
        '{"zone":"b","weight":2}',
      ]);
      const joined = await watch.json((line) => line['event'] === 'joined' && line['member'] === 'second');
      expect(joined['capabilities']).toEqual({ zone: 'b', weight: 2 });
      expect(Date.parse(String(joined['time']))).not.toBeNaN();
      second.signal('SIGINT');
      expect((await second.result()).code).toBe(0);
      await watch.json((line) => line['event'] === 'left' && line['member'] === 'second');
      first.signal('SIGINT');
      watch.signal('SIGINT');
      expect((await first.result()).code).toBe(0);
      expect((await watch.result()).code).toBe(0);
    });

    it('prints JSON that parses, and SIGINT leaves nothing held on the server', async () => {
      const group = fresh('inspected');
      const name = fresh('inspected-lock');
      const member = startTooz(backend.url(), [
        'join',
        group,
        '--create',
        '--json',
        '--member-id',
        'member-a',
        '--capabilities',
        '{"weight":2}',
      ]);
      await member.json((event) => event['event'] === 'joined');
      const leaderReady = files.file(`${group}.leader`);
      const leader = startTooz(backend.url(), [
        '--member-id',
        'leader-a',
        'elect',
        group,
        '--',
        ...holdUntilStopped(leaderReady),
      ]);
      await firstLine(leaderReady);
      const lockReady = files.file(`${name}.ready`);
      const holder = startTooz(backend.url(), [
        '--member-id',
        'holder-a',
        'lock',
        name,
        '--',
        ...holdUntilStopped(lockReady),
      ]);
      const token = await firstLine(lockReady);

      const groups = JSON.parse((await runTooz(backend.url(), ['groups', '--json'])).stdout);
      expect(groups).toContainEqual({ group, members: 1 });
      const members = JSON.parse((await runTooz(backend.url(), ['members', group, '--json'])).stdout);
      expect(members).toEqual({
        group,
        leader: 'leader-a',
        members: [{ member: 'member-a', capabilities: { weight: 2 } }],
      });
      const leading = JSON.parse((await runTooz(backend.url(), ['leader', group, '--json'])).stdout);
      expect(leading).toEqual({ group, leader: 'leader-a' });
      const held = JSON.parse((await runTooz(backend.url(), ['lock-holder', name, '--json'])).stdout);
      expect(held).toEqual({ lock: name, holder: 'holder-a', token });
      const table = await runTooz(backend.url(), ['members', group]);
      expect(table.stdout).toMatch(/^MEMBER\s+LEADER\s+CAPABILITIES\nmember-a\s+\{"weight":2\}\n$/);

      // SIGINT to tooz alone (not its process group): it forwards it to the command, then releases.
      for (const tooz of [member, leader, holder]) tooz.signal('SIGINT');
      expect((await member.result()).code).toBe(0);
      expect((await leader.result()).code).toBe(130);
      expect((await holder.result()).code).toBe(130);
      expect(JSON.parse((await runTooz(backend.url(), ['lock-holder', name, '--json'])).stdout)).toEqual({
        lock: name,
        holder: null,
        token: null,
      });
      expect(JSON.parse((await runTooz(backend.url(), ['leader', group, '--json'])).stdout).leader).toBeNull();
      expect(JSON.parse((await runTooz(backend.url(), ['members', group, '--json'])).stdout).members).toEqual([]);
    });

    it('doctor --json reports the driver, a round trip and the descriptor', async () => {
      const result = await runTooz(backend.url(), ['doctor', '--json']);
      const report = JSON.parse(result.stdout);
      expect(report.driver).toBe(backend.driver);
      expect(report.state).toBe('connected');
      expect(typeof report.roundTripMs).toBe('number');
      expect(report.capabilities.name).toBe(backend.driver);
      expect(result.code).toBe(report.warnings.length === 0 ? 0 : 1);
    });
  });
}
