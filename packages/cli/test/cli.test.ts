import { afterEach, describe, expect, it } from 'vitest';
import { firstLine, holdUntilStopped } from './support/commands.js';
import { runOnTerminal } from './support/terminal.js';
import { killToozProcesses, runTooz, startTooz } from './support/tooz.js';
import { fresh, scratch } from './scenarios.js';

const files = scratch();
const url = `file://${scratch().dir}`;
afterEach(() => killToozProcesses());

describe('tooz: connecting and usage', () => {
  it('an unknown scheme is a bad URL (exit 2) naming the known schemes', async () => {
    const result = await runTooz('nosuchdb://127.0.0.1:3306/db', ['groups']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('redis');
  });

  it('exits 5 when the backend cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const result = await runTooz('redis://127.0.0.1:1', ['groups']);
    expect(result.code).toBe(5);
  });

  it('exits 2 on bad usage, naming what is wrong, without connecting', async () => {
    const cases: [string[], string][] = [
      [['bogus'], "unknown command 'bogus'"],
      [['members'], "missing required argument 'group'"],
      [['--ttl', 'often', 'groups'], '--ttl'],
      [['join', 'g', '--capabilities', '{nope'], '--capabilities'],
      [['-o', 'novalue', 'groups'], '--option'],
    ];
    for (const [args, message] of cases) {
      const result = await runTooz(url, args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
    }
    const noUrl = await runTooz('', ['groups']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('TOOZ_URL');
  });

  it('passes driver options (-o) and core options as connect() takes them', async () => {
    const name = fresh('namespaced');
    const ready = files.file(`${name}.ready`);
    const holder = startTooz(url, ['--namespace', 'other', 'lock', name, '--', ...holdUntilStopped(ready)]);
    await firstLine(ready);
    const elsewhere = JSON.parse((await runTooz(url, ['lock-holder', name, '--json'])).stdout);
    expect(elsewhere.holder).toBeNull();
    const here = await runTooz(url, [
      '--namespace',
      'other',
      '-o',
      'crash_detection=500ms',
      'lock-holder',
      name,
      '--json',
    ]);
    expect(JSON.parse(here.stdout).holder).not.toBeNull();
    const refused = await runTooz(url, ['-o', 'no_such_option=1', 'groups']);
    expect(refused.code).toBe(2);
    holder.signal('SIGTERM');
    await holder.result();
  });
});

describe('tooz: progress', () => {
  it('shows on a terminal what it waits for and who holds it; nothing when piped', async () => {
    const name = fresh('contended');
    const ready = files.file(`${name}.ready`);
    const holder = startTooz(url, ['--member-id', 'holder-a', 'lock', name, '--', ...holdUntilStopped(ready)]);
    const token = await firstLine(ready);

    const terminal = await runOnTerminal(url, ['lock', name, '--wait', '2s', '--', 'true']);
    expect(terminal.code).toBe(3);
    expect(terminal.screen).toContain(`waiting for lock "${name}" (held by holder-a, token ${token})`);

    const piped = await runTooz(url, ['lock', name, '--wait', '2s', '--', 'true']);
    expect(piped.code).toBe(3);
    expect(piped.stderr).toBe(`tooz: Lock "${name}" was not acquired within 2000 ms\n`);
    holder.signal('SIGTERM');
    await holder.result();
  });
});
