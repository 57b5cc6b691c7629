import type { NetworkNamespace } from '../netns.js';
import { type ProbeTarget, readToEnd, withSocket } from './socket.js';

/** Sends a ZooKeeper four-letter word (`srvr`, `ruok`, `mntr`…) and returns the whole answer. */
export function fourLetterWord(target: ProbeTarget, word: string): Promise<string> {
  return withSocket(target, async (socket) => {
    const answer = readToEnd(socket);
    socket.write(word);
    return answer;
  });
}

/**
 * `standalone`, `leader` or `follower` once the server serves requests;
 * undefined while it is not in a quorum (then `srvr` answers "This ZooKeeper
 * instance is not currently serving requests", whereas `ruok` would still say imok).
 */
export async function zookeeperMode(target: ProbeTarget): Promise<string | undefined> {
  const answer = await fourLetterWord(target, 'srvr');
  return /^Mode: (\w+)/m.exec(answer)?.[1];
}

/** `node -e` on argv `host port word`: the four-letter word's answer on stdout, exit 1 on error or after 2 s. */
const FOUR_LETTER_WORD_SCRIPT = `
const [host, port, word] = process.argv.slice(1);
const socket = require('node:net').connect({ host, port: Number(port) });
const chunks = [];
setTimeout(() => process.exit(1), 2000).unref();
socket.on('error', () => process.exit(1));
socket.on('connect', () => socket.write(word));
socket.on('data', (chunk) => chunks.push(chunk));
socket.on('end', () => process.stdout.write(Buffer.concat(chunks)));
`;

/** `zookeeperMode` for a server inside a network namespace: the exchange runs there, in a node process. */
export async function zookeeperModeIn(netns: NetworkNamespace, target: ProbeTarget): Promise<string | undefined> {
  const answer = await netns.run(process.execPath, [
    '-e',
    FOUR_LETTER_WORD_SCRIPT,
    target.host,
    String(target.port),
    'srvr',
  ]);
  return /^Mode: (\w+)/m.exec(answer)?.[1];
}
