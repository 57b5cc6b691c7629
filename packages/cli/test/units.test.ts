import { InvalidArgumentError } from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { clockOffsetWarning } from '../src/commands/clock-offset.js';
import { connectArguments } from '../src/connect-options.js';
import { parseDuration } from '../src/durations.js';
import { EXIT, exitCodeFor, signalExitCode } from '../src/exit-codes.js';
import { toJson } from '../src/ui/json.js';
import { formatElapsed, Progress } from '../src/ui/progress.js';
import { table } from '../src/ui/table.js';

/** A stand-in for stderr that records what was written. */
function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('progress', () => {
  it('draws a status line with the time waited, and clears it when done', () => {
    let now = 0;
    const stream = terminal(true);
    const progress = new Progress(stream, true, () => now);
    progress.waiting(() => 'waiting for lock "x"');
    now = 65_000;
    progress.render();
    progress.done('lock "x" acquired');
    expect(stream.written).toEqual([
      '\r\x1b[Kwaiting for lock "x" 0s',
      '\r\x1b[Kwaiting for lock "x" 1m05s',
      '\r\x1b[K',
      'lock "x" acquired\n',
    ]);
  });

  it('writes nothing at all when disabled (stderr not a terminal)', () => {
    const stream = terminal(false);
    const progress = new Progress(stream, false);
    progress.waiting(() => 'waiting');
    progress.note('note');
    progress.render();
    progress.done('done');
    expect(stream.written).toEqual([]);
  });

  it('keeps the status line below notes', () => {
    const stream = terminal(true);
    const progress = new Progress(stream, true, () => 0);
    progress.waiting(() => 'watching');
    progress.note('joined');
    progress.done();
    expect(stream.written).toEqual(['\r\x1b[Kwatching 0s', '\r\x1b[K', 'joined\n', '\r\x1b[Kwatching 0s', '\r\x1b[K']);
  });

  it('formats elapsed time briefly', () => {
    expect([999, 59_000, 61_000, 3_600_000 + 120_000].map(formatElapsed)).toEqual(['0s', '59s', '1m01s', '1h02m']);
  });
});

describe('output', () => {
  it('pads table columns, the last one unpadded', () => {
    expect(
      table(
        ['GROUP', 'MEMBERS'],
        [
          ['workers', '2'],
          ['a', '10'],
        ],
      ),
    ).toBe('GROUP    MEMBERS\nworkers  2\na        10');
  });

  it('writes bigints as strings and bytes as base64 in JSON', () => {
    expect(toJson({ token: 2n ** 64n, raw: new Uint8Array([1, 2]) })).toBe(
      '{"token":"18446744073709551616","raw":{"base64":"AQI="}}',
    );
  });
});

describe('options', () => {
  it('reads durations with units, a bare number as seconds', () => {
    expect(['500ms', '30s', '2m', '1.5'].map((text) => parseDuration(text, '--wait'))).toEqual([
      500, 30_000, 120_000, 1_500,
    ]);
    expect(() => parseDuration('soon', '--wait')).toThrow(InvalidArgumentError);
  });

  it('builds connect() arguments: core options parsed, driver options appended to the query', () => {
    const { url, options } = connectArguments({
      url: 'redis://h:6379?db=1',
      namespace: 'billing',
      memberId: 'api-7',
      ttl: '5',
      leaderTtl: '2s',
      option: ['socket_timeout=3', 'tls=true'],
    });
    expect(url).toBe('redis://h:6379?db=1&socket_timeout=3&tls=true');
    expect(options).toEqual({ namespace: 'billing', memberId: 'api-7', ttl: 5_000, leaderTtl: 2_000 });
  });
});

describe('exit codes', () => {
  it('maps errors and signals as documented', () => {
    expect(exitCodeFor(new InvalidArgumentError('x', 'bad'))).toBe(EXIT.usage);
    expect(exitCodeFor(new Error('unexpected'))).toBe(EXIT.failure);
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});

describe('doctor', () => {
  it('warns about a server clock off by more than a second beyond the measurement error', () => {
    expect(clockOffsetWarning({ clockOffsetMs: 1_400, clockOffsetUncertaintyMs: 500 })).toBeUndefined();
    expect(clockOffsetWarning({ clockOffsetMs: -2_500, clockOffsetUncertaintyMs: 1 })).toContain('2500 ms behind');
    expect(clockOffsetWarning({ version: '7' })).toBeUndefined();
  });
});
