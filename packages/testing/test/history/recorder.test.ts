import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect } from '@tooz/core';
import {
  checkHistory,
  HistoryRecorder,
  MemoryServer,
  memory,
  monotonicNow,
  parseHistory,
  readHistory,
  recordLeadership,
  recordLock,
  waitUntil,
} from '@tooz/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'tooz-history-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('monotonicNow', () => {
  it('is one clock for every process on the host', () => {
    const before = monotonicNow();
    const child = BigInt(
      execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.hrtime.bigint()))'], {
        encoding: 'utf8',
      }),
    );
    const after = monotonicNow();
    expect(before < child && child < after).toBe(true);
  });
});

describe('HistoryRecorder', () => {
  it('appends JSON lines to a file, and readHistory merges files in time order', async () => {
    let now = 10n;
    const a = new HistoryRecorder({ process: 'a', output: join(directory, 'a.jsonl'), clock: () => now });
    const b = new HistoryRecorder({ process: 'b', output: join(directory, 'b.jsonl'), clock: () => now });
    a.acquired('x', 1n);
    now = 20n;
    a.wrote('x', 1n, { time: 15n, detail: 'first' });
    now = 30n;
    a.released('x', 1n);
    now = 40n;
    b.acquired('x', 2n);
    now = 50n;
    b.lost('x', 2n, 'stolen');
    b.leading('g', 12345678901234567890n);
    b.stoppedLeading('g', 12345678901234567890n);
    now = 60n;
    a.record('paused', { process: 'b' });
    await a.close();
    await b.close();

    expect(readFileSync(join(directory, 'a.jsonl'), 'utf8').split('\n')[0]).toBe(
      '{"process":"a","seq":0,"time":"10","kind":"acquire","resource":"x","token":"1"}',
    );
    const merged = await readHistory(directory);
    expect(merged.map((e) => `${e.process}:${e.kind}:${e.time}`)).toEqual([
      'a:acquire:10',
      'a:write:15',
      'a:release:30',
      'b:acquire:40',
      'b:lost:50',
      'b:leader:50',
      'b:not-leader:50',
      'b:paused:60',
    ]);
    expect(merged[1]).toEqual({
      process: 'a',
      kind: 'write',
      resource: 'x',
      token: 1n,
      time: 15n,
      seq: 1,
      detail: 'first',
    });
    expect(merged[5]?.token).toBe(12345678901234567890n);
    expect(merged[7]).toEqual({ process: 'b', kind: 'paused', time: 60n, seq: 3 });
    expect(checkHistory(merged, { resource: 'x' }).ok).toBe(true);
  });

  it('skips an incomplete last line (a process killed while writing it)', () => {
    const file = join(directory, 'torn.jsonl');
    const recorder = new HistoryRecorder({ process: 'a', output: file });
    recorder.acquired('x', 1n);
    appendFileSync(file, '{"process":"a","seq":1,"ti');
    expect(parseHistory(readFileSync(file, 'utf8')).map((e) => e.kind)).toEqual(['acquire']);
    expect(() => parseHistory('{"process":"a"}\n')).toThrow(/unknown kind/);
  });

  it('keeps entries in memory without an output, and writes to a stream or a function', async () => {
    const memoryOnly = new HistoryRecorder({ process: 'm' });
    memoryOnly.acquired('x', 1n);
    expect(memoryOnly.entries).toHaveLength(1);

    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const toStream = new HistoryRecorder({ process: 's', output: stream });
    toStream.acquired('x', 1n);
    await toStream.close();
    expect(parseHistory(text)).toMatchObject([{ process: 's', kind: 'acquire', token: 1n }]);

    const lines: string[] = [];
    const toFunction = new HistoryRecorder({ process: 'f', output: (line) => lines.push(line), keep: true });
    toFunction.released('x');
    expect(lines).toHaveLength(1);
    expect(toFunction.entries).toHaveLength(1);
    await toFunction.close();
    expect(() => toFunction.released('x')).toThrow(/closed/);
  });
});

describe('recordLock and recordLeadership', () => {
  it('record acquire, release on unsubscribe, lost on a loss, and leadership terms', async () => {
    const server = new MemoryServer();
    const a = await connect(memory({ server }), { memberId: 'a' });
    const b = await connect(memory({ server }), { memberId: 'b' });
    const recorderA = new HistoryRecorder({ process: 'a' });
    const recorderB = new HistoryRecorder({ process: 'b' });
    try {
      const first = a.lock('x').pipe(recordLock(recorderA)).subscribe();
      await waitUntil(() => recorderA.entries.length === 1, 5_000);
      first.unsubscribe();
      expect(recorderA.entries.map((e) => e.kind)).toEqual(['acquire', 'release']);

      let failed: unknown;
      b.lock('x')
        .pipe(recordLock(recorderB))
        .subscribe({
          error: (error: unknown) => {
            failed = error;
          },
        });
      await waitUntil(() => recorderB.entries.length === 1, 5_000);
      server.deleteLock('x');
      await waitUntil(() => failed !== undefined, 5_000);
      expect(recorderB.entries.map((e) => e.kind)).toEqual(['acquire', 'lost']);
      expect(recorderB.entries[1]?.token).toBe(recorderB.entries[0]?.token);

      const leadership = a.leadership('g');
      const candidacy = leadership.pipe(recordLeadership(recorderA, leadership)).subscribe();
      await firstValueFrom(leadership.pipe(filter(Boolean)));
      candidacy.unsubscribe();
      const terms = recorderA.entries.filter((e) => e.resource === 'g');
      expect(terms.map((e) => e.kind)).toEqual(['leader', 'not-leader']);
      expect(typeof terms[0]?.token).toBe('bigint');

      const report = checkHistory([...recorderA.entries, ...recorderB.entries], { resource: 'x' });
      expect(report.counts).toMatchObject({ holds: 2, unsignalledOverlaps: 0, tokenRegressions: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
