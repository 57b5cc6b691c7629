import { createHash } from 'node:crypto';
import { connect } from '@tooz/core';
import { advisoryKey, channelOf } from '@tooz/driver-postgres';
import { describe, expect, it } from 'vitest';
import { startPostgres } from '@tooz/testing';
import { adminClient } from './support/postgres.js';

describe('keys', () => {
  it('derive as the README says: SHA-256 over length-prefixed parts, first 8 bytes signed', () => {
    const expected = createHash('sha256').update('7:billing4:lock10:invoice-42').digest().readBigInt64BE(0);
    expect(advisoryKey('billing', 'lock', 'invoice-42')).toBe(expected);
    // Byte lengths, not UTF-16 lengths.
    const unicode = createHash('sha256').update('4:tooz6:leader5:é€').digest().readBigInt64BE(0);
    expect(advisoryKey('tooz', 'leader', 'é€')).toBe(unicode);
  });

  it('keep namespaces, kinds and part boundaries apart', () => {
    const keys = new Set([
      advisoryKey('a', 'lock', 'x'),
      advisoryKey('b', 'lock', 'x'),
      advisoryKey('a', 'leader', 'x'),
      advisoryKey('a', 'member', 'g', 'bc'),
      advisoryKey('a', 'member', 'gb', 'c'),
    ]);
    expect(keys.size).toBe(5);
  });

  it('name a channel that is a short identifier', () => {
    expect(channelOf('x'.repeat(63))).toMatch(/^tooz_[0-9a-f]{16}$/);
    expect(channelOf('a')).not.toBe(channelOf('b'));
  });
});

describe('layout', () => {
  it('holds a lock as a bigint advisory lock on its key, with its counter and holder in the locks table', async () => {
    await using server = await startPostgres();
    await using admin = await adminClient(server);
    await using coordinator = await connect(server.url, { memberId: 'holder', namespace: 'layout' });
    const first = await coordinator.acquire('x');
    await first.release();
    const lease = await coordinator.acquire('x');
    const key = advisoryKey('layout', 'lock', 'x');
    const unsigned = BigInt.asUintN(64, key);
    const { rows } = await admin.query(
      `SELECT classid::text, objid::text, objsubid FROM pg_locks WHERE locktype = 'advisory' AND granted`,
    );
    expect(rows).toContainEqual({
      classid: String(unsigned >> 32n),
      objid: String(unsigned & 0xffffffffn),
      objsubid: 1,
    });
    const row = await admin.query(`SELECT kind, name, lock_key::text, token::text, holder FROM layout.locks`);
    expect(row.rows).toEqual([
      { kind: 'lock', name: Buffer.from('x'), lock_key: key.toString(), token: '2', holder: Buffer.from('holder') },
    ]);
    expect(lease.fencingToken).toBe(2n);
    await lease.release();
  });
});
