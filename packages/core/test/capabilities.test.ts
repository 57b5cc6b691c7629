import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { invalid } from './helpers.js';
import { connect, decodeCapabilities, encodeCapabilities, InvalidArgumentError } from '@tooz/core';
// See options.test.ts: tsc cannot resolve @tooz/testing by name from core's tests.
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('encodeCapabilities / decodeCapabilities round trip', () => {
  it.each([
    ['a nested object', { a: { b: { c: [1, 2, { d: 'e' }] } }, f: true, g: null }],
    ['an array of mixed values', ['x', 1, -1, 1.5, false, null, [], {}]],
    ['bytes', { blob: Uint8Array.of(0, 1, 254, 255) }],
    ['bigints at the 64-bit bounds', { max: 2n ** 64n - 1n, min: -(2n ** 63n), mid: 2n ** 63n }],
    ['unicode strings and keys', { 'clé-ключ-鍵-🔑': 'wörker ☃ 😀 \u0000 \u{10FFFF}' }],
    ['a top-level string', 'just a string'],
    ['a top-level number', 42],
    ['floats', { half: 0.5, tiny: 5e-324, neg: -1.25e100 }],
    ['a long string (str32)', 'x'.repeat(70_000)],
    ['an object with a null prototype', Object.assign(Object.create(null) as object, { a: 1 })],
  ])('%s', (_, value) => {
    const decoded = decodeCapabilities(encodeCapabilities(value));
    expect(decoded).toEqual(value);
  });

  it('decodes bytes as a Uint8Array', () => {
    const decoded = decodeCapabilities(encodeCapabilities({ blob: Uint8Array.of(7, 8) })) as { blob: unknown };
    expect(decoded.blob).toBeInstanceOf(Uint8Array);
    expect([...(decoded.blob as Uint8Array)]).toEqual([7, 8]);
  });

  it('encodes a Buffer as msgpack bin, like any Uint8Array', () => {
    expect(hex(encodeCapabilities(Buffer.from([1, 2])))).toBe('c4020102');
  });

  it('drops undefined object properties and encodes undefined itself as nil', () => {
    expect(decodeCapabilities(encodeCapabilities({ a: 1, b: undefined }))).toEqual({ a: 1 });
    expect(hex(encodeCapabilities(undefined))).toBe('c0');
  });

  it('keeps a value shared (not circular) by two properties', () => {
    const shared = { z: 1 };
    expect(decodeCapabilities(encodeCapabilities({ x: shared, y: [shared, shared] }))).toEqual({
      x: { z: 1 },
      y: [{ z: 1 }, { z: 1 }],
    });
  });
});

describe('exact bytes (TOOZ.md §1.11)', () => {
  it('{ weight: 2 } is 81 a6 77 65 69 67 68 74 02', () => {
    expect(hex(encodeCapabilities({ weight: 2 }))).toBe('81a677656967687402');
    expect(decodeCapabilities(unhex('81 a6 77 65 69 67 68 74 02'))).toEqual({ weight: 2 });
  });

  it('null is c0', () => {
    expect(hex(encodeCapabilities(null))).toBe('c0');
    expect(decodeCapabilities(unhex('c0'))).toBeNull();
  });

  it("decodes Python tooz's default capabilities, c4 00 (empty bin), as null: this SDK's default, on every driver", () => {
    expect(decodeCapabilities(unhex('c400'))).toBeNull();
    // Empty bytes, written here, are Python's default too, and read back the same way.
    expect(decodeCapabilities(encodeCapabilities(new Uint8Array(0)))).toBeNull();
    // Non-empty bytes stay bytes.
    expect(decodeCapabilities(encodeCapabilities(Uint8Array.of(1)))).toEqual(Uint8Array.of(1));
  });

  it('decodes a zero-length stored value as null', () => {
    expect(decodeCapabilities(new Uint8Array(0))).toBeNull();
  });

  it('writes JS integers as the smallest msgpack integer, as Python does', () => {
    // utils.dumps([0, 127, 128, 255, 256, 65535, 65536, -1, -32, -33, -128, -129])
    expect(hex(encodeCapabilities([0, 127, 128, 255, 256, 65_535, 65_536, -1, -32, -33, -128, -129]))).toBe(
      '9c007fcc80ccffcd0100cdffffce00010000ffe0d0dfd080d1ff7f',
    );
  });
});

// Bytes produced once by Python tooz 3.1.0 (Debian's python3-tooz, msgpack 1.0.3):
//   /usr/bin/python3 -c "from tooz import utils; print(utils.dumps(V).hex())"
// with V the Python spelling of each JS value below (bytes for Uint8Array, int for bigint).
describe('interop with Python tooz (utils.dumps / utils.loads)', () => {
  // V = {'name': 'w\u00f6rker-\u2603-\U0001F600', 'weight': 2, 'ratio': 0.25, 'neg': -7, 'port': 300,
  //      'enabled': True, 'nothing': None, 'tags': ['a', '\u03b2', ['nested', 1]], 'blob': b'\x00\xff\x10',
  //      'nested': {'a': {'b': [1, {'c': 'd'}]}}, 'empty': {}, 'none': [], 'max_u64': 2**64-1,
  //      'min_i64': -(2**63), 'long': 'x'*40}
  const PYTHON_NESTED =
    '8fa46e616d65b077c3b6726b65722de298832df09f9880a677656967687402a5726174696fcb3fd0000000000000a36e6567f9' +
    'a4706f7274cd012ca7656e61626c6564c3a76e6f7468696e67c0a47461677393a161a2ceb292a66e657374656401a4626c6f62' +
    'c40300ff10a66e657374656481a16181a162920181a163a164a5656d70747980a46e6f6e6590a76d61785f753634cfffffffff' +
    'ffffffffa76d696e5f693634d38000000000000000a46c6f6e67d928' +
    '78'.repeat(40);
  const JS_NESTED = {
    name: 'wörker-☃-😀',
    weight: 2,
    ratio: 0.25,
    neg: -7,
    port: 300,
    enabled: true,
    nothing: null,
    tags: ['a', 'β', ['nested', 1]],
    blob: Uint8Array.of(0x00, 0xff, 0x10),
    nested: { a: { b: [1, { c: 'd' }] } },
    empty: {},
    none: [],
    max_u64: 2n ** 64n - 1n,
    min_i64: -(2n ** 63n),
    long: 'x'.repeat(40),
  };

  // V = ['a', 1.5, -1, b'', None, False]
  const PYTHON_LIST = '96a161cb3ff8000000000000ffc400c0c2';
  const JS_LIST = ['a', 1.5, -1, new Uint8Array(0), null, false];

  it('decodes what Python wrote into the JS value', () => {
    expect(decodeCapabilities(unhex(PYTHON_NESTED))).toEqual(JS_NESTED);
    expect(decodeCapabilities(unhex(PYTHON_LIST))).toEqual(JS_LIST);
  });

  it('writes the very bytes Python writes, so Python reads back the same value', () => {
    expect(hex(encodeCapabilities(JS_NESTED))).toBe(PYTHON_NESTED);
    expect(hex(encodeCapabilities(JS_LIST))).toBe(PYTHON_LIST);
  });

  it('writes small bigints as 64-bit integers, which Python reads as the same int', () => {
    // utils.loads(bytes.fromhex(<this hex>)) == {'small': 5, 'neg': -5}, checked once with Python tooz 3.1.0.
    expect(hex(encodeCapabilities({ small: 5n, neg: -5n }))).toBe(
      '82a5736d616c6ccf0000000000000005a36e6567d3fffffffffffffffb',
    );
  });

  it('reads Python 64-bit ints exactly: a number when safe, a bigint above 2^53', () => {
    // utils.dumps({'ts': 2**40}) and utils.dumps(2**60 + 1)
    expect(decodeCapabilities(unhex('81a27473cf0000010000000000'))).toEqual({ ts: 2 ** 40 });
    expect(decodeCapabilities(unhex('cf1000000000000001'))).toBe(2n ** 60n + 1n);
  });
});

describe('refusals name the path', () => {
  class Custom {
    readonly x = 1;
  }
  const circular: { a: { b: unknown[] } } = { a: { b: [] } };
  circular.a.b.push(0, circular);

  it.each([
    ['a function', { a: { b: [0, () => 1] } }, 'capabilities.a.b[1]', 'function'],
    ['a symbol', { a: { b: [0, Symbol('s')] } }, 'capabilities.a.b[1]', 'symbol'],
    ['a Map', { a: { b: [0, new Map([['k', 1]])] } }, 'capabilities.a.b[1]', 'Map'],
    ['a Set', { a: { b: [0, new Set([1])] } }, 'capabilities.a.b[1]', 'Set'],
    ['a class instance', { a: { b: [0, new Custom()] } }, 'capabilities.a.b[1]', 'Custom'],
    [
      'a typed array other than Uint8Array',
      { a: { b: [0, new Float32Array(2)] } },
      'capabilities.a.b[1]',
      'Float32Array',
    ],
    ['a circular structure', circular, 'capabilities.a.b[1]', 'circular'],
    ['a lone high surrogate', { a: { b: ['ok', 'x\uD800'] } }, 'capabilities.a.b[1]', 'UTF-8'],
    ['a lone low surrogate', { a: { b: ['ok', '\uDC00y'] } }, 'capabilities.a.b[1]', 'UTF-8'],
    ['a bigint of 2^64', { a: { b: [0, 2n ** 64n] } }, 'capabilities.a.b[1]', '64 bits'],
    ['a bigint below -2^63', { a: { b: [0, -(2n ** 63n) - 1n] } }, 'capabilities.a.b[1]', '64 bits'],
    ['a top-level function', () => 1, 'capabilities', 'function'],
  ])('%s → %s', (_, value, field, mentions) => {
    const error = invalid(() => encodeCapabilities(value));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(mentions);
  });

  it('uses the field name it is given', () => {
    expect(invalid(() => encodeCapabilities({ f: () => 1 }, 'join.capabilities')).field).toBe('join.capabilities.f');
  });

  it('refuses more than 512 KiB once encoded, and accepts exactly 512 KiB', () => {
    // A bin32 header is 5 bytes.
    expect(encodeCapabilities(new Uint8Array(512 * 1024 - 5))).toHaveLength(512 * 1024);
    const error = invalid(() => encodeCapabilities(new Uint8Array(512 * 1024 - 4)));
    expect(error.field).toBe('capabilities');
    expect(error.message).toContain('524289');
    expect(invalid(() => encodeCapabilities({ blob: 'x'.repeat(600 * 1024) })).field).toBe('capabilities');
  });

  // KNOWN BUG (src/capabilities.ts, check()): object keys are not checked for
  // lone surrogates; msgpack then writes them as CESU-8 bytes (ed a0 80), which
  // Python tooz's utils.loads refuses ("'utf-8' codec can't decode byte 0xed").
  it('refuses a key holding a lone surrogate', () => {
    invalid(() => encodeCapabilities({ ok: { '\uD800': 1 } }));
  });
});

describe('through the public API: refused before anything is written', () => {
  it('join() and updateCapabilities() refuse bad capabilities synchronously, naming the path', async () => {
    const server = new MemoryServer();
    const coordinator = await connect(memory({ server }), { memberId: 'caps-member' });
    try {
      const group = coordinator.group('caps-group');
      await group.create();
      const error = invalid(() => group.join({ a: { b: [0, () => 1] } }));
      expect(error.field).toBe('capabilities.a.b[1]');
      expect(server.state.groups.get('caps-group')?.size ?? 0).toBe(0);

      let membership: Subscription | undefined;
      await new Promise<void>((resolve, reject) => {
        membership = group.join({ weight: 1 }).subscribe({ next: () => resolve(), error: reject });
      });
      await expect(group.updateCapabilities({ weight: 10n ** 30n })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await group.members()).toEqual(new Map([['caps-member', { weight: 1 }]]));
      membership?.unsubscribe();
    } finally {
      await coordinator.close();
    }
  });
});

describe('whole numbers beyond 32 bits', () => {
  it('are written as 64-bit ints, as Python writes them, and read back as the same number', () => {
    // utils.dumps({'ts': 2**40}) in Python tooz gives exactly these bytes.
    expect(Buffer.from(encodeCapabilities({ ts: 2 ** 40 })).toString('hex')).toBe('81a27473cf0000010000000000');
    expect(decodeCapabilities(encodeCapabilities({ ts: 2 ** 40, n: -(2 ** 40) }))).toEqual({
      ts: 2 ** 40,
      n: -(2 ** 40),
    });
  });

  it('returns foreign bytes as they are instead of failing the whole view', () => {
    const junk = new Uint8Array([0xc1, 0xc1]);
    expect(decodeCapabilities(junk)).toBe(junk);
  });
});
