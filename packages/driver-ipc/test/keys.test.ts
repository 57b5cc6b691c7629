import { ftok, IpcKeys } from '@tooz/driver-ipc';
import { describe, expect, it } from 'vitest';
import { hexKey } from './support.js';

describe("tooz's key derivation (TOOZ.md §2.7)", () => {
  it.each([
    ['foo', '__TOOZ_LOCK_', '0x91b9e60c'],
    ['TOOZ_INTERNAL_LOCK', '__TOOZ_LOCK_', '0xe92bbee9'],
    ['GROUP_LIST', '_TOOZ_INTERNAL', '0x482d2f91'],
  ])('ftok(%s, %s) is %s', (name, project, key) => {
    expect(hexKey(ftok(name, project))).toBe(key);
    expect(hexKey(ftok(Buffer.from(name), project))).toBe(key);
  });

  it('gives tooz its own lock keys in the default namespace, and other namespaces keys of their own', () => {
    const lock = { kind: 'lock', name: 'foo' } as const;
    expect(hexKey(new IpcKeys('tooz').lock(lock))).toBe('0x91b9e60c');
    const keys = new Set([
      new IpcKeys('tooz').lock(lock),
      new IpcKeys('billing').lock(lock),
      new IpcKeys('tooz').lock({ kind: 'leader', name: 'foo' }),
      new IpcKeys('billing').lock({ kind: 'leader', name: 'foo' }),
      new IpcKeys('tooz').table,
      new IpcKeys('billing').table,
      new IpcKeys('tooz').groups,
      new IpcKeys('billing').groups,
      // tooz's own group-list segment: never this driver's.
      ftok('GROUP_LIST', '_TOOZ_INTERNAL'),
    ]);
    expect(keys.size).toBe(9);
  });

  it('hashes names as UTF-8 bytes, so any valid id has a key', () => {
    expect(ftok('ünïcödé/名前', '__TOOZ_LOCK_')).toBe(ftok(Buffer.from('ünïcödé/名前', 'utf8'), '__TOOZ_LOCK_'));
    expect(Number.isInteger(ftok('x'.repeat(1024), '__TOOZ_LOCK_'))).toBe(true);
  });
});
