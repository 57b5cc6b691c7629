import type { Socket } from 'node:net';
import { type ProbeTarget, readUntil, withSocket } from './socket.js';

/** A RESP2 reply: errors are values here, so a probe can tell NOAUTH from LOADING. */
export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

/** Parses one complete reply at `offset`; undefined when more bytes are needed. */
function parse(data: Buffer, offset: number): [RespValue, number] | undefined {
  const lineEnd = data.indexOf('\r\n', offset, 'latin1');
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(data[offset] ?? 0);
  const line = data.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (data.length < next + length + 2) return undefined;
      return [data.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(data, at);
        if (!item) return undefined;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(data.toString('latin1', offset, offset + 40))}`);
  }
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Sends commands in order on one socket and returns every reply. */
export async function sendCommands(socket: Socket, commands: readonly (readonly string[])[]): Promise<RespValue[]> {
  socket.write(commands.map(encode).join(''));
  const replies: RespValue[] = [];
  await readUntil(socket, (data) => {
    replies.length = 0;
    let at = 0;
    while (replies.length < commands.length) {
      const reply = parse(data, at);
      if (!reply) return false;
      replies.push(reply[0]);
      at = reply[1];
    }
    return true;
  });
  return replies;
}

export interface RespAuth {
  readonly username?: string;
  readonly password?: string;
}

/** Connects, authenticates when asked, runs the commands; the replies of the commands (not of AUTH). */
export async function redisCommands(
  target: ProbeTarget & RespAuth,
  commands: readonly (readonly string[])[],
): Promise<RespValue[]> {
  return withSocket(target, async (socket) => {
    const auth: string[][] = [];
    if (target.password !== undefined) {
      auth.push(target.username === undefined ? ['AUTH', target.password] : ['AUTH', target.username, target.password]);
    }
    const replies = await sendCommands(socket, [...auth, ...commands]);
    const authReply = auth.length ? replies[0] : undefined;
    if (authReply instanceof RespError) throw new Error(`AUTH refused: ${authReply.message}`);
    return replies.slice(auth.length);
  });
}

/** One command; a RESP error reply becomes a thrown error. */
export async function redisCommand(target: ProbeTarget & RespAuth, ...command: string[]): Promise<RespValue> {
  const [reply] = await redisCommands(target, [command]);
  if (reply instanceof RespError) throw new Error(`${command[0]}: ${reply.message}`);
  return reply ?? null;
}

/** INFO output as a map (`role`, `master_link_status`…). */
export function parseInfo(info: RespValue): Map<string, string> {
  const map = new Map<string, string>();
  if (typeof info !== 'string') return map;
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}
