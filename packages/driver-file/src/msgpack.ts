/**
 * Just enough msgpack for tooz's file formats: maps with string keys whose
 * values are strings, bytes, booleans, small integers, an extension (the
 * datetime) and one value we carry through as raw bytes (capabilities,
 * already encoded by core). Reading skips any value it does not need.
 */

export class MsgWriter {
  private readonly chunks: Uint8Array[] = [];

  map(size: number): this {
    if (size > 15) throw new RangeError('map too large');
    return this.byte(0x80 | size);
  }

  str(text: string): this {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length < 32) this.byte(0xa0 | bytes.length);
    else if (bytes.length < 0x100) this.bytes([0xd9, bytes.length]);
    else this.bytes([0xda, bytes.length >> 8, bytes.length & 0xff]);
    return this.raw(bytes);
  }

  bin(data: Uint8Array): this {
    if (data.length < 0x100) this.bytes([0xc4, data.length]);
    else if (data.length < 0x10000) this.bytes([0xc5, data.length >> 8, data.length & 0xff]);
    else this.bytes([0xc6, ...u32(data.length)]);
    return this.raw(data);
  }

  bool(value: boolean): this {
    return this.byte(value ? 0xc3 : 0xc2);
  }

  uint(value: number): this {
    if (value < 0x80) return this.byte(value);
    if (value < 0x100) return this.bytes([0xcc, value]);
    if (value < 0x10000) return this.bytes([0xcd, value >> 8, value & 0xff]);
    return this.bytes([0xce, ...u32(value)]);
  }

  ext(type: number, payload: Uint8Array): this {
    if (payload.length >= 0x100) throw new RangeError('extension too large');
    this.bytes([0xc7, payload.length, type]);
    return this.raw(payload);
  }

  /** An already-encoded msgpack value. */
  raw(encoded: Uint8Array): this {
    this.chunks.push(encoded);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private byte(value: number): this {
    return this.bytes([value]);
  }

  private bytes(values: number[]): this {
    this.chunks.push(Uint8Array.from(values));
    return this;
  }
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export class MsgFormatError extends Error {}

export class MsgReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The number of entries of the map that starts here. */
  mapHeader(): number {
    const type = this.u8();
    if ((type & 0xf0) === 0x80) return type & 0x0f;
    if (type === 0xde) return this.uint(2);
    if (type === 0xdf) return this.uint(4);
    throw new MsgFormatError('expected a map');
  }

  /** A str or bin value as bytes (tooz writes ids as bin, keys as str; old files the other way round). */
  bytesOrString(): Buffer {
    const type = this.u8();
    let length: number;
    if ((type & 0xe0) === 0xa0) length = type & 0x1f;
    else if (type === 0xd9 || type === 0xc4) length = this.uint(1);
    else if (type === 0xda || type === 0xc5) length = this.uint(2);
    else if (type === 0xdb || type === 0xc6) length = this.uint(4);
    else throw new MsgFormatError('expected a string or bytes');
    return this.take(length);
  }

  bool(): boolean {
    const type = this.u8();
    if (type === 0xc2 || type === 0xc3) return type === 0xc3;
    throw new MsgFormatError('expected a boolean');
  }

  /** Skips one value of any type; returns the bytes it occupied. */
  skip(): Buffer {
    const start = this.pos;
    this.skipValue(0);
    return this.buf.subarray(start, this.pos);
  }

  private skipValue(depth: number): void {
    if (depth > 64) throw new MsgFormatError('nested too deeply');
    const type = this.u8();
    if (type < 0x80 || type >= 0xe0 || type === 0xc0 || type === 0xc2 || type === 0xc3) return;
    if ((type & 0xf0) === 0x80) return this.skipEntries((type & 0x0f) * 2, depth);
    if ((type & 0xf0) === 0x90) return this.skipEntries(type & 0x0f, depth);
    if ((type & 0xe0) === 0xa0) return void this.take(type & 0x1f);
    const fixed: Record<number, number> = { 202: 4, 203: 8, 204: 1, 205: 2, 206: 4, 207: 8 };
    const signed: Record<number, number> = { 208: 1, 209: 2, 210: 4, 211: 8 };
    const size = fixed[type] ?? signed[type];
    if (size !== undefined) return void this.take(size);
    switch (type) {
      case 0xc4:
      case 0xd9:
        return void this.take(this.uint(1));
      case 0xc5:
      case 0xda:
        return void this.take(this.uint(2));
      case 0xc6:
      case 0xdb:
        return void this.take(this.uint(4));
      case 0xd4:
        return void this.take(2);
      case 0xd5:
        return void this.take(3);
      case 0xd6:
        return void this.take(5);
      case 0xd7:
        return void this.take(9);
      case 0xd8:
        return void this.take(17);
      case 0xc7:
        return void this.take(this.uint(1) + 1);
      case 0xc8:
        return void this.take(this.uint(2) + 1);
      case 0xc9:
        return void this.take(this.uint(4) + 1);
      case 0xdc:
        return this.skipEntries(this.uint(2), depth);
      case 0xdd:
        return this.skipEntries(this.uint(4), depth);
      case 0xde:
        return this.skipEntries(this.uint(2) * 2, depth);
      case 0xdf:
        return this.skipEntries(this.uint(4) * 2, depth);
      default:
        throw new MsgFormatError(`unknown type 0x${type.toString(16)}`);
    }
  }

  private skipEntries(count: number, depth: number): void {
    for (let i = 0; i < count; i++) this.skipValue(depth + 1);
  }

  private u8(): number {
    const value = this.buf[this.pos];
    if (value === undefined) throw new MsgFormatError('truncated');
    this.pos++;
    return value;
  }

  private uint(size: 1 | 2 | 4): number {
    const bytes = this.take(size);
    return bytes.readUIntBE(0, size);
  }

  private take(length: number): Buffer {
    if (this.pos + length > this.buf.length) throw new MsgFormatError('truncated');
    const slice = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }
}
