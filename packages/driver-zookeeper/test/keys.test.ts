import { describe, expect, it } from 'vitest';
import { escapeSegment, unescapeSegment, ZookeeperKeys } from '../src/keys.js';

describe('path segment escaping', () => {
  it('keeps printable ASCII as Python tooz stores it', () => {
    for (const id of ['worker-1', 'with space', 'semi;colon\'quote"', 'a.b', 'UPPER_lower~']) {
      expect(escapeSegment(id)).toBe(id);
    }
  });

  it('escapes what ZooKeeper or tooz cannot take, reversibly', () => {
    const cases: Array<[string, string]> = [
      ['a/b', 'a%2Fb'],
      ['.', '%2E'],
      ['..', '%2E.'],
      ['%2F', '%252F'],
      ['\u0000nul', '%00nul'],
      ['é', '%C3%A9'],
      ['😀', '%F0%9F%98%80'],
    ];
    for (const [id, escaped] of cases) {
      expect(escapeSegment(id)).toBe(escaped);
      expect(unescapeSegment(escaped)).toBe(id);
    }
  });

  it('round-trips any well-formed string', () => {
    const samples = [
      '中文',
      'tab\tnew\nline',
      '\u007f\u0080\u00ff',
      'x'.repeat(1024),
      '%',
      '%%41',
      'ǅ\uFFFF\uD83D\uDE00',
    ];
    for (const id of samples) expect(unescapeSegment(escapeSegment(id))).toBe(id);
  });

  it('returns names it did not write unchanged', () => {
    expect(unescapeSegment('100%')).toBe('100%');
    expect(unescapeSegment('%zz')).toBe('%zz');
  });

  it('keeps the layout nodes apart from ids of the same name', () => {
    const keys = new ZookeeperKeys('', 'tooz');
    expect(keys.group('locks')).toBe('/tooz/%6Cocks');
    expect(keys.member('g', 'leader')).toBe('/tooz/g/%6Ceader');
    expect(keys.groupIds(['locks', '%6Cocks', 'g'])).toEqual(['locks', 'g']);
    expect(keys.memberNodes(['leader', '%6Ceader'])).toEqual(['%6Ceader']);
    expect(keys.queue({ kind: 'leader', name: 'g' })).toBe('/tooz/g/leader');
    expect(keys.queue({ kind: 'lock', name: 'leader' })).toBe('/tooz/locks/leader');
  });
});
