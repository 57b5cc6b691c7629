import { describe, expect, it } from 'vitest';
import { EarlyLosses } from '../src/early-losses.js';

describe('EarlyLosses (no server: the bookkeeping alone)', () => {
  it('keeps a loss noted while a grant on its key is in flight, for that grant to take once', () => {
    const early = new EarlyLosses();
    const grant = early.expect('lock:a');
    early.note('lock:a', '7');
    expect(early.take('lock:a', '7')).toBe(true);
    expect(early.take('lock:a', '7')).toBe(false);
    early.done(grant);
  });

  it('ignores a loss on a key with no grant in flight', () => {
    const early = new EarlyLosses();
    const grant = early.expect('lock:a');
    early.note('lock:b', '7');
    expect(early.take('lock:b', '7')).toBe(false);
    early.done(grant);
    early.note('lock:a', '8');
    expect(early.take('lock:a', '8')).toBe(false);
  });

  it('forgets a note once every grant in flight when it came has been handled, not before', () => {
    const early = new EarlyLosses();
    const first = early.expect('lock:a');
    const second = early.expect('lock:a');
    early.note('lock:a', 'other-token');
    early.done(first);
    // The second grant was in flight when the loss came: it may still be the one lost.
    expect(early.take('lock:a', 'other-token')).toBe(true);
    early.note('lock:a', 'late');
    early.done(second);
    const third = early.expect('lock:a');
    // Sent after the note: a loss announced before this grant was sent cannot be its own.
    expect(early.take('lock:a', 'late')).toBe(false);
    early.done(third);
  });

  it('a note outlives an unrelated grant that started later and is still in flight', () => {
    const early = new EarlyLosses();
    const a = early.expect('lock:a');
    early.note('lock:a', '1');
    const b = early.expect('lock:b');
    early.done(b);
    expect(early.take('lock:a', '1')).toBe(true);
    early.done(a);
  });
});
