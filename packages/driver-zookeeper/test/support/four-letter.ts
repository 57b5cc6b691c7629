import { connect } from 'node:net';

/** Sends a ZooKeeper four-letter word (`wchp`, `cons`, `srvr`…) and returns the whole answer. */
export function fourLetterWord(target: { host: string; port: number }, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, target.host, () => socket.write(word));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${word}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** `wchp`: path → ids of the sessions watching it. */
export async function watchesByPath(target: { host: string; port: number }): Promise<Map<string, string[]>> {
  const watches = new Map<string, string[]>();
  let path: string | undefined;
  for (const line of (await fourLetterWord(target, 'wchp')).split('\n')) {
    if (line.startsWith('/')) {
      path = line.trim();
      watches.set(path, []);
    } else if (path !== undefined && line.trim().startsWith('0x')) {
      watches.get(path)?.push(line.trim());
    }
  }
  return watches;
}
