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
