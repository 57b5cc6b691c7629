import { Socket } from 'node:net';
import { type DriverDiagnosis, deadlinePromise } from '@tooz/core/driver';
import type { SchedulerLike } from 'rxjs';

/** How long one server may take to answer a four-letter word. */
const FOUR_LETTER_TIMEOUT_MS = 2_000;

export interface ZookeeperFacts {
  /** `host:port` of every server of the connection string. */
  readonly hosts: readonly string[];
  /** The session timeout the driver asked for, in ms. */
  readonly askedTimeout: number;
  /** The one the server granted (clamped to its [minSessionTimeout, maxSessionTimeout]). */
  readonly grantedTimeout: number;
}

/** The answer to a four-letter word (the server closes the socket after it), or undefined. */
function fourLetterWord(hostPort: string, word: string, scheduler: SchedulerLike): Promise<string | undefined> {
  const colon = hostPort.lastIndexOf(':');
  const socket = new Socket();
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.connect(Number(hostPort.slice(colon + 1)), hostPort.slice(0, colon), () => socket.write(word));
  });
  return deadlinePromise(answer, FOUR_LETTER_TIMEOUT_MS, scheduler, () => new Error(`no answer to ${word}`))
    .catch(() => undefined)
    .finally(() => socket.destroy());
}

/**
 * ZooKeeper clamps a session timeout to [minSessionTimeout, maxSessionTimeout]
 * (2 and 20 × tickTime by default). The driver's deadlines follow what was
 * granted, so this is safe, but not what the operator configured.
 */
export function sessionTimeoutWarning(asked: number, granted: number): string | undefined {
  if (granted < asked) {
    return (
      `the server granted a session timeout of ${granted} ms instead of the ${asked} ms asked (its maxSessionTimeout): ` +
      `locks, memberships and leadership are lost after ${granted} ms without contact`
    );
  }
  if (granted > asked) {
    return (
      `the server granted a session timeout of ${granted} ms instead of the ${asked} ms asked (its minSessionTimeout): ` +
      `a crashed holder keeps its locks for ${granted} ms before anyone else can take them`
    );
  }
  return undefined;
}

/**
 * What `tooz doctor` shows for ZooKeeper: the session timeout asked and
 * granted (a warning when the server clamped it), and the version and mode
 * of the first server that answers `srvr` (a four-letter word: the server
 * must list it in `4lw.commands.whitelist`, which by default it does).
 * ZooKeeper exposes no clock, so no clock offset is measured.
 */
export async function diagnoseZookeeper(facts: ZookeeperFacts, scheduler: SchedulerLike): Promise<DriverDiagnosis> {
  const server: Record<string, string | number | boolean> = {
    sessionTimeoutAskedMs: facts.askedTimeout,
    sessionTimeoutGrantedMs: facts.grantedTimeout,
  };
  const warning = sessionTimeoutWarning(facts.askedTimeout, facts.grantedTimeout);
  for (const host of facts.hosts) {
    const answer = await fourLetterWord(host, 'srvr', scheduler);
    if (answer === undefined) continue;
    const version = /^Zookeeper version: ([^,\n]+)/m.exec(answer)?.[1];
    server['version'] = version ?? "unknown (srvr is not in the server's 4lw.commands.whitelist)";
    const mode = /^Mode: (\S+)/m.exec(answer)?.[1];
    if (mode) server['mode'] = mode;
    server['answeredBy'] = host;
    break;
  }
  return { server, warnings: warning ? [warning] : [] };
}
