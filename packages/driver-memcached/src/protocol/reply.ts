/**
 * One reply of memcached's text protocol, as this driver reads them:
 * meta replies (`HD c12`, `NS`, `EX`, `NF`, `VA 5 c12 f1` + data, `EN`),
 * classic ones for `stats` (`STAT k v` lines until `END`) and errors.
 */
export type Reply =
  | { readonly kind: 'status'; readonly code: string; readonly flags: ReadonlyMap<string, string> }
  | {
      readonly kind: 'value';
      readonly data: Buffer;
      readonly flags: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'stats'; readonly stats: ReadonlyMap<string, string> }
  | { readonly kind: 'error'; readonly message: string };

/** What the parser must read next for the request at the head of the queue. */
export type Expect = 'meta' | 'stats';

function metaFlags(tokens: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const token of tokens) if (token.length > 0) flags.set(token[0] as string, token.slice(1));
  return flags;
}

/**
 * Incremental reader of replies from a byte stream. `next(expect)` returns
 * a complete reply, or undefined when more bytes are needed.
 */
export class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private stats: Map<string, string> | undefined;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  clear(): void {
    this.buffer = Buffer.alloc(0);
    this.stats = undefined;
  }

  next(expect: Expect): Reply | undefined {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end === -1) return undefined;
      const line = this.buffer.toString('latin1', 0, end);
      if (line === 'ERROR' || line.startsWith('CLIENT_ERROR') || line.startsWith('SERVER_ERROR')) {
        this.buffer = this.buffer.subarray(end + 2);
        this.stats = undefined;
        return { kind: 'error', message: line };
      }
      if (expect === 'stats') {
        this.buffer = this.buffer.subarray(end + 2);
        this.stats ??= new Map();
        if (line === 'END') {
          const stats = this.stats;
          this.stats = undefined;
          return { kind: 'stats', stats };
        }
        const [, key, ...value] = line.split(' ');
        if (key !== undefined) this.stats.set(key, value.join(' '));
        continue;
      }
      const tokens = line.split(' ');
      if (tokens[0] === 'VA') {
        const size = Number(tokens[1]);
        if (this.buffer.length < end + 2 + size + 2) return undefined;
        const data = Buffer.from(this.buffer.subarray(end + 2, end + 2 + size));
        this.buffer = this.buffer.subarray(end + 2 + size + 2);
        return { kind: 'value', data, flags: metaFlags(tokens.slice(2)) };
      }
      this.buffer = this.buffer.subarray(end + 2);
      return { kind: 'status', code: tokens[0] ?? '', flags: metaFlags(tokens.slice(1)) };
    }
  }
}
