import { InvalidArgumentError } from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceTarget, harness, joined, rejectionOf } from './harness.js';

function refusal(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a synchronous refusal');
}

/** Bad input is refused with InvalidArgumentError naming the field, and nothing is written. Odd but valid ids work. */
export function badInputConformance(target: ConformanceTarget): void {
  const { primitives, maxIdBytes = 1024 } = target.capabilities;
  describe('bad input', () => {
    const h = harness(target);
    const invalid: Array<[string, unknown]> = [
      ['empty', ''],
      ['not a string', 42],
      ['a lone surrogate', 'bad\uD800id'],
      ['too long', 'x'.repeat(maxIdBytes + 1)],
    ];

    it.skipIf(!primitives.groups).each(invalid)('refuses a group id that is %s, writing nothing', async (_, id) => {
      const a = await h.coordinator();
      const before = await a.groups();
      const error = refusal(() => a.group(id as string));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe('groupId');
      expect(await a.groups()).toEqual(before);
    });

    it.skipIf(!primitives.locks).each(invalid)('refuses a lock name that is %s', async (_, name) => {
      const a = await h.coordinator();
      const error = refusal(() => a.lock(name as string));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe('name');
      expect(await rejectionOf(a.acquire(name as string))).toBeInstanceOf(InvalidArgumentError);
    });

    it.skipIf(!primitives.locks)('refuses bad lock options', async () => {
      const a = await h.coordinator();
      expect((refusal(() => a.lock('x', { ttl: -1 })) as InvalidArgumentError).field).toBe('options.ttl');
      expect((refusal(() => a.lock('x', { wait: Number.NaN })) as InvalidArgumentError).field).toBe('options.wait');
    });

    it.skipIf(!primitives.groups)('refuses capabilities that cannot be encoded, joining nothing', async () => {
      const a = await h.coordinator();
      const id = h.id('group');
      await a.group(id).create();
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      for (const caps of [{ f: () => 1 }, circular, { m: new Map() }, { s: Symbol('x') }]) {
        const error = refusal(() => a.group(id).join(caps));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field.startsWith('capabilities')).toBe(true);
      }
      expect((await a.group(id).members()).size).toBe(0);
    });

    const odd = [
      '../escape',
      'a/b/c',
      '.',
      '..',
      'with space',
      'semi;colon\'quote"',
      'é 😀 中文',
      '%2F',
      '\u0000nul',
      'x'.repeat(maxIdBytes),
    ];

    it.skipIf(!primitives.groups)('stores odd but valid ids exactly', async () => {
      const a = await h.coordinator();
      for (const raw of odd) {
        const id = raw.length > 64 ? raw : `${raw}-${h.id('g')}`.slice(0, Math.max(raw.length, 1) + 12);
        const groupId = raw.length >= maxIdBytes ? raw : id;
        await a.group(groupId).create();
        const membership = await joined(a.group(groupId).join({ id: groupId }));
        expect(await a.groups()).toContain(groupId);
        expect((await a.group(groupId).members()).get(a.memberId)).toEqual({ id: groupId });
        membership.unsubscribe();
      }
    });

    it.skipIf(!primitives.locks)('locks odd but valid names', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      for (const name of odd) {
        const lease = await a.acquire(name);
        expect(await rejectionOf(b.acquire(name, { wait: 0 }))).toHaveProperty('code', 'LOCK_TIMEOUT');
        await lease.release();
      }
    });
  });
}
