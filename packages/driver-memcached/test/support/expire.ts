import { connect as netConnect } from 'node:net';
import type { MemcachedServer } from '@tooz/testing';

/** Talks to memcached behind the driver's back: one request, the reply up to `until`. */
export async function ask(server: MemcachedServer, request: string, until: RegExp): Promise<string> {
  const socket = netConnect({ host: server.host, port: server.port });
  try {
    socket.write(request);
    let text = '';
    for await (const chunk of socket) {
      text += (chunk as Buffer).toString('latin1');
      if (until.test(text)) return text;
    }
    return text;
  } finally {
    socket.destroy();
  }
}

/**
 * What a TTL expiry does to a member, done at once: every key whose value
 * names it as the holder (its locks, `<member>\0...`) and every membership
 * key of it disappears. memcached cannot list keys, but its LRU crawler can.
 */
export async function expireMember(server: MemcachedServer, memberId: string): Promise<number> {
  const dump = await ask(server, 'lru_crawler metadump all\r\n', /(^|\n)END\r\n$/);
  const keys = [...dump.matchAll(/^key=(\S+)/gm)].map((match) => decodeURIComponent(match[1] as string));
  let removed = 0;
  for (const key of keys) {
    const reply = await ask(server, `mg ${key} v\r\n`, /(\r\nEN\r\n|^EN\r\n|VA \d+[^\r]*\r\n[\s\S]*\r\n)$/);
    const value = reply.startsWith('VA') ? reply.slice(reply.indexOf('\r\n') + 2, -2) : '';
    const holds = value.startsWith(`${memberId}\u0000`);
    const membership = key.includes(':member:') && key.endsWith(`:${memberId}`);
    if (holds || membership) {
      await ask(server, `md ${key}\r\n`, /\r\n$/);
      removed++;
    }
  }
  return removed;
}

/** Deletes a key behind the driver's back; true if it was there. */
export async function deleteKey(server: MemcachedServer, key: string): Promise<boolean> {
  return (await ask(server, `md ${key}\r\n`, /\r\n$/)).startsWith('HD');
}

/** A key's raw value and CAS as memcached has it, or undefined if absent. */
export async function readKey(
  server: MemcachedServer,
  key: string,
): Promise<{ value: Buffer; cas: bigint; flags: number } | undefined> {
  const reply = await ask(server, `mg ${key} v c f\r\n`, /(^EN\r\n|^VA \d+[^\r]*\r\n[\s\S]*\r\n)$/);
  const match = /^VA (\d+)([^\r]*)\r\n/.exec(reply);
  if (!match) return undefined;
  const flags = new Map(
    (match[2] ?? '')
      .trim()
      .split(' ')
      .map((token) => [token[0], token.slice(1)]),
  );
  const start = match[0].length;
  return {
    value: Buffer.from(reply.slice(start, start + Number(match[1])), 'latin1'),
    cas: BigInt(flags.get('c') ?? '0'),
    flags: Number(flags.get('f') ?? '0'),
  };
}
