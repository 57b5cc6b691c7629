import { checkHistory, type HistoryEntry, type HistoryKind } from '@tooz/testing';
import { describe, expect, it } from 'vitest';

/** Hand-made histories: times in ms (converted to ns), tokens as numbers. */
function history(...lines: ReadonlyArray<readonly [string, HistoryKind, number, number?, string?]>): HistoryEntry[] {
  let seq = 0;
  return lines.map(([process, kind, ms, token, resource]) => ({
    process,
    kind,
    time: BigInt(Math.round(ms * 1e6)),
    seq: seq++,
    ...(kind === 'paused' || kind === 'resumed' || kind === 'killed' ? {} : { resource: resource ?? 'x' }),
    ...(token !== undefined ? { token: BigInt(token) } : {}),
  }));
}

const clean = {
  unsignalledOverlaps: 0,
  pausedOverlaps: 0,
  staleWrites: 0,
  unheldWrites: 0,
  tokenRegressions: 0,
};

describe('checkHistory on a lock', () => {
  it('finds nothing wrong in hand-overs by release and by signalled loss, and counts holds per process', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['a', 'write', 1, 1],
        ['a', 'write', 2, 1],
        ['a', 'release', 3, 1],
        ['b', 'acquire', 4, 2],
        ['b', 'write', 5, 2],
        ['b', 'lost', 6, 2],
        ['c', 'acquire', 7, 5],
        ['c', 'release', 8, 5],
        ['a', 'acquire', 9, 6],
        ['a', 'write', 10, 6],
        ['a', 'release', 11, 6],
      ),
    );
    expect(report.counts).toEqual({ ...clean, holds: 4, writes: 4, openHolds: 0 });
    expect(report.ok).toBe(true);
    expect(report.type).toBe('lock');
    expect(report.holdsPerProcess).toEqual({ a: 2, b: 1, c: 1 });
    expect(report.writesPerProcess).toEqual({ a: 3, b: 1 });
    expect(report.holds.map((hold) => hold.ending)).toEqual(['release', 'lost', 'release', 'release']);
    expect(report.summary).toContain('4 holds (a: 2, b: 1, c: 1), 4 writes — OK');
  });

  it('reports a hold that overlaps the next one when the loss came after the next acquire', () => {
    const entries = history(
      ['a', 'acquire', 0, 1],
      ['b', 'acquire', 5, 2],
      ['a', 'lost', 6, 1],
      ['b', 'release', 7, 2],
    );
    const report = checkHistory(entries);
    expect(report.counts).toMatchObject({ ...clean, unsignalledOverlaps: 1 });
    expect(report.ok).toBe(false);
    const [overlap] = report.unsignalledOverlaps;
    expect(overlap?.holder.start).toBe(entries[0]);
    expect(overlap?.holder.end).toBe(entries[2]);
    expect(overlap?.next.start).toBe(entries[1]);
    expect(report.summary).toContain('unsignalled overlaps: 1');
    expect(report.summary).toContain(
      'a (token 1, +0.000ms..+6.000ms, lost) still held when b acquired token 2 at +5.000ms',
    );
  });

  it('reports a holder that released after someone else acquired (it was never told)', () => {
    const report = checkHistory(
      history(['a', 'acquire', 0, 1], ['b', 'acquire', 5, 2], ['b', 'release', 6, 2], ['a', 'release', 7, 1]),
    );
    expect(report.counts.unsignalledOverlaps).toBe(1);
  });

  it('reports a holder still running and never told (open hold, later entries elsewhere)', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['b', 'acquire', 5, 2],
        ['b', 'release', 6, 2],
        ['a', 'leader', 9, 1, 'elsewhere'],
      ),
      { resource: 'x' },
    );
    expect(report.counts).toMatchObject({ unsignalledOverlaps: 1, openHolds: 1 });
    expect(report.openHolds[0]?.ending).toBe('open');
  });

  it('does not report a holder whose history stops before the next acquire', () => {
    const report = checkHistory(history(['a', 'acquire', 0, 1], ['a', 'write', 1, 1], ['b', 'acquire', 5, 2]));
    expect(report.counts).toMatchObject({ ...clean, openHolds: 2 });
    expect(report.ok).toBe(true);
  });

  it('reports stale writes: a write with a token older than another process had acquired', () => {
    const entries = history(
      ['a', 'acquire', 0, 1],
      ['a', 'lost', 2, 1],
      ['b', 'acquire', 3, 2],
      ['a', 'write', 4, 1],
      ['b', 'write', 5, 2],
      ['b', 'release', 6, 2],
    );
    const report = checkHistory(entries);
    expect(report.counts).toMatchObject({ ...clean, staleWrites: 1, unheldWrites: 1 });
    expect(report.staleWrites[0]).toEqual({ write: entries[3], supersededBy: entries[2] });
    expect(report.unheldWrites).toEqual([entries[3]]);
    expect(report.summary).toContain('a wrote with token 1 at +4.000ms, after b acquired token 2 at +3.000ms');
  });

  it('does not count as stale a write after another acquire with a smaller token (a fenced resource takes it)', () => {
    const report = checkHistory(
      history(['b', 'acquire', 0, 1], ['b', 'release', 1, 1], ['a', 'acquire', 2, 7], ['a', 'write', 3, 7]),
    );
    expect(report.counts).toMatchObject({ ...clean });
  });

  it('reports writes outside any hold: after a release, or with a token never acquired', () => {
    const report = checkHistory(
      history(['a', 'acquire', 0, 1], ['a', 'release', 1, 1], ['a', 'write', 2, 1], ['c', 'write', 3, 9]),
    );
    expect(report.counts).toMatchObject({ ...clean, unheldWrites: 2 });
    expect(report.ok).toBe(false);
  });

  it('reports tokens that do not increase in acquisition order, equal ones too', () => {
    const entries = history(
      ['a', 'acquire', 0, 5],
      ['a', 'release', 1, 5],
      ['b', 'acquire', 2, 3],
      ['b', 'release', 3, 3],
      ['c', 'acquire', 4, 4],
      ['c', 'release', 5, 4],
      ['a', 'acquire', 6, 4],
      ['a', 'release', 7, 4],
    );
    const report = checkHistory(entries);
    expect(report.counts).toMatchObject({ ...clean, tokenRegressions: 2 });
    expect(report.tokenRegressions).toEqual([
      { previous: entries[0], next: entries[2] },
      { previous: entries[4], next: entries[6] },
    ]);
    expect(report.summary).toContain('b acquired token 3 at +2.000ms after a acquired token 5 at +0.000ms');
  });
});

describe('checkHistory and stopped processes', () => {
  it('excuses a holder paused past its TTL, told of its loss before it wrote anything once resumed', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['a', 'write', 1, 1],
        ['a', 'paused', 2],
        ['b', 'acquire', 5, 2],
        ['b', 'write', 6, 2],
        ['b', 'release', 7, 2],
        ['a', 'resumed', 8],
        ['a', 'lost', 8.1, 1],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, pausedOverlaps: 1 });
    expect(report.ok).toBe(true);
    expect(report.pausedOverlaps[0]?.pause).toEqual({ process: 'a', from: 2_000_000n, to: 8_000_000n });
    expect(report.summary).toContain(
      'stopped +2.000ms..+8.000ms: 1 hold by others began meanwhile, the first b token 2 at +5.000ms',
    );
  });

  it('counts a stale write and an unsignalled overlap when the resumed holder writes before its loss', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['a', 'paused', 2],
        ['b', 'acquire', 5, 2],
        ['a', 'resumed', 8],
        ['a', 'write', 8.05, 1],
        ['a', 'lost', 8.1, 1],
        ['b', 'release', 9, 2],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, unsignalledOverlaps: 1, staleWrites: 1 });
    expect(report.ok).toBe(false);
  });

  it('excuses an acquire between the SIGCONT and the loss, when the holder wrote nothing in between', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['a', 'paused', 1],
        ['b', 'acquire', 3, 2],
        ['b', 'release', 4, 2],
        ['a', 'resumed', 8],
        ['c', 'acquire', 8.1, 3],
        ['a', 'lost', 8.2, 1],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, pausedOverlaps: 2 });
    expect(report.summary).toContain('2 holds by others began meanwhile, the first b token 2 at +3.000ms');
  });

  it('does not excuse an overlap when the holder wrote after its pause: it was running and not told', () => {
    const report = checkHistory(
      history(
        ['a', 'acquire', 0, 1],
        ['a', 'paused', 1],
        ['a', 'resumed', 2],
        ['a', 'write', 3, 1],
        ['b', 'acquire', 5, 2],
        ['a', 'lost', 6, 1],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, unsignalledOverlaps: 1, pausedOverlaps: 0 });
  });

  it('does not excuse an overlap by a pause from before the hold', () => {
    const report = checkHistory(
      history(
        ['a', 'paused', 0],
        ['a', 'resumed', 1],
        ['a', 'acquire', 2, 1],
        ['b', 'acquire', 5, 2],
        ['a', 'lost', 6, 1],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, unsignalledOverlaps: 1 });
  });

  it('ends a killed holder at its death: later acquires are fine, earlier ones overlap', () => {
    const fine = checkHistory(
      history(['a', 'acquire', 0, 1], ['a', 'write', 1, 1], ['a', 'killed', 2], ['b', 'acquire', 3, 2]),
    );
    expect(fine.counts).toMatchObject({ ...clean, openHolds: 2 });
    expect(fine.holds[0]?.ending).toBe('killed');
    const early = checkHistory(history(['a', 'acquire', 0, 1], ['b', 'acquire', 1, 2], ['a', 'killed', 2]));
    expect(early.counts.unsignalledOverlaps).toBe(1);
  });

  it('excuses a holder stopped and then killed, never resumed', () => {
    const report = checkHistory(
      history(['a', 'acquire', 0, 1], ['a', 'paused', 1], ['b', 'acquire', 5, 2], ['a', 'killed', 6]),
    );
    expect(report.counts).toMatchObject({ ...clean, pausedOverlaps: 1 });
  });
});

describe('checkHistory on a leadership', () => {
  it('finds nothing wrong in terms handed over after the previous leader stopped', () => {
    const report = checkHistory(
      history(
        ['a', 'leader', 0, 1],
        ['a', 'write', 1, 1],
        ['a', 'not-leader', 2, 1],
        ['b', 'leader', 3, 2],
        ['b', 'write', 4, 2],
        ['b', 'not-leader', 5, 2],
      ),
    );
    expect(report.type).toBe('leadership');
    expect(report.counts).toEqual({ ...clean, holds: 2, writes: 2, openHolds: 0 });
  });

  it('does not count a term taken up again (false while at risk, then true) as a regression', () => {
    const report = checkHistory(
      history(
        ['a', 'leader', 0, 1],
        ['a', 'not-leader', 1, 1],
        ['a', 'leader', 2, 1],
        ['a', 'not-leader', 3, 1],
        ['b', 'leader', 4, 2],
      ),
    );
    expect(report.counts).toMatchObject({ ...clean, holds: 3 });
  });

  it('reports two leaders at once, and a leader write with an old term', () => {
    const report = checkHistory(
      history(['a', 'leader', 0, 1], ['b', 'leader', 3, 2], ['a', 'write', 4, 1], ['a', 'not-leader', 5, 1]),
    );
    expect(report.counts).toMatchObject({ ...clean, unsignalledOverlaps: 1, staleWrites: 1 });
  });
});

describe('checkHistory input', () => {
  it('needs a resource when the history has several, and ignores the others', () => {
    const entries = history(
      ['a', 'acquire', 0, 1, 'x'],
      ['b', 'acquire', 1, 1, 'y'],
      ['b', 'release', 2, 1, 'y'],
      ['a', 'release', 3, 1, 'x'],
    );
    expect(() => checkHistory(entries)).toThrow(/several resources \(x, y\)/);
    expect(checkHistory(entries, { resource: 'y' }).counts).toMatchObject({ ...clean, holds: 1 });
  });

  it('refuses a resource with both lock and leadership entries', () => {
    expect(() => checkHistory(history(['a', 'acquire', 0, 1], ['b', 'leader', 1, 2]))).toThrow(/distinct names/);
  });

  it('sorts its input itself', () => {
    const entries = history(['a', 'acquire', 0, 1], ['a', 'release', 1, 1], ['b', 'acquire', 2, 2]);
    expect(checkHistory([...entries].reverse()).counts).toMatchObject({ ...clean, holds: 2 });
  });
});
