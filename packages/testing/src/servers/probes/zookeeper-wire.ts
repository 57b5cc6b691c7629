import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { type ProbeTarget, withSocket } from './socket.js';

/**
 * Just enough of ZooKeeper's jute wire protocol to open a session, log in
 * with digest credentials and set an ACL: what the auth flavour needs to
 * lock the root node, without depending on a ZooKeeper client library.
 */
const OP_GET_CHILDREN = 8;
const OP_SET_ACL = 7;
const OP_AUTH = 100;
const OP_CLOSE = -11;
const XID_AUTH = -4;
const PERM_ALL = 31;

class Writer {
  readonly #parts: Buffer[] = [];
  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.#parts.push(b);
    return this;
  }
  long(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.#parts.push(b);
    return this;
  }
  bool(value: boolean): this {
    this.#parts.push(Buffer.from([value ? 1 : 0]));
    return this;
  }
  buffer(value: Buffer): this {
    return this.int(value.length).raw(value);
  }
  string(value: string): this {
    return this.buffer(Buffer.from(value, 'utf8'));
  }
  raw(value: Buffer): this {
    this.#parts.push(value);
    return this;
  }
  /** The payload, prefixed with its length as every jute frame is. */
  frame(): Buffer {
    const body = Buffer.concat(this.#parts);
    const length = Buffer.alloc(4);
    length.writeInt32BE(body.length);
    return Buffer.concat([length, body]);
  }
}

/** Reads frames off the socket in order; buffers whatever arrives between calls. */
class FrameReader {
  #pending = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #closed = false;
  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }
  async next(): Promise<Buffer> {
    while (this.#pending.length < 4 || this.#pending.length < 4 + this.#pending.readInt32BE(0)) {
      if (this.#closed) throw new Error('ZooKeeper closed the connection');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    const length = this.#pending.readInt32BE(0);
    const frame = this.#pending.subarray(4, 4 + length);
    this.#pending = this.#pending.subarray(4 + length);
    return frame;
  }
}

/** The id ZooKeeper's digest scheme stores in ACLs: `user:base64(sha1("user:password"))`. */
export function zookeeperDigestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** Reply header: xid, zxid, err. Watch notifications (xid -1) are skipped. */
async function reply(reader: FrameReader, xid: number): Promise<number> {
  for (;;) {
    const frame = await reader.next();
    if (frame.readInt32BE(0) === xid) return frame.readInt32BE(12);
  }
}

/** Logs in with digest credentials and gives the root node to that identity alone. */
export async function lockZookeeperRoot(target: ProbeTarget, user: string, password: string): Promise<void> {
  await withSocket({ timeoutMs: 10_000, ...target }, async (socket) => {
    const reader = new FrameReader(socket);
    socket.write(new Writer().int(0).long(0n).int(10_000).long(0n).buffer(Buffer.alloc(16)).bool(false).frame());
    await reader.next();

    socket.write(new Writer().int(XID_AUTH).int(OP_AUTH).int(0).string('digest').string(`${user}:${password}`).frame());
    const authError = await reply(reader, XID_AUTH);
    if (authError !== 0) throw new Error(`ZooKeeper digest login failed (error ${authError})`);

    const acl = new Writer().int(1).int(PERM_ALL).string('digest').string(zookeeperDigestId(user, password));
    socket.write(new Writer().int(1).int(OP_SET_ACL).string('/').raw(acl.frame().subarray(4)).int(-1).frame());
    const aclError = await reply(reader, 1);
    if (aclError !== 0) throw new Error(`ZooKeeper setACL / failed (error ${aclError})`);

    socket.write(new Writer().int(2).int(OP_CLOSE).frame());
    await reply(reader, 2);
  });
}

/**
 * Lists `path` in a fresh session, logged in with `auth` ("user:password")
 * when given, and returns ZooKeeper's error code: 0 when allowed, -102
 * (NoAuth) when the ACL refuses, -124 when the server demands a login first.
 */
export async function zookeeperListError(target: ProbeTarget, path: string, auth?: string): Promise<number> {
  return withSocket({ timeoutMs: 10_000, ...target }, async (socket) => {
    const reader = new FrameReader(socket);
    socket.write(new Writer().int(0).long(0n).int(10_000).long(0n).buffer(Buffer.alloc(16)).bool(false).frame());
    await reader.next();
    if (auth !== undefined) {
      socket.write(new Writer().int(XID_AUTH).int(OP_AUTH).int(0).string('digest').string(auth).frame());
      await reply(reader, XID_AUTH);
    }
    socket.write(new Writer().int(1).int(OP_GET_CHILDREN).string(path).bool(false).frame());
    return reply(reader, 1);
  });
}
