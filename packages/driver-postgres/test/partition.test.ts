import { describe, expect, it } from 'vitest';
import {
  type NetnsHost,
  type Peer,
  type PeerEvent,
  type PostgresServer,
  startNetns,
  startPeer,
  startPostgres,
} from '@tooz/testing';

/** The peers import the driver from its sources, as the tests do. */
const DRIVER = new URL('../src/index.ts', import.meta.url);
/**
 * A short session, so the server ends the cut-off session within seconds
 * (its TCP user timeout is the session timeout); a quick sweep, so the
 * contender notices at once; a short connect timeout, so the holder's
 * reconnection attempts during the partition end soon after it heals.
 */
const TIMEOUTS = { sessionTimeout: 3_000, livenessInterval: 200, connectTimeout: 2_000 };
/** Hang guards only: the server takes about the session timeout to notice. */
const PATIENCE = 60_000;

const isLock = (state: string) => (event: PeerEvent) => event.kind === 'lock' && event.state === state;
const isLeading = (leading: boolean) => (event: PeerEvent) => event.kind === 'leadership' && event.leading === leading;
const tokenOf = (event: PeerEvent) => (event.kind === 'lock' ? BigInt(event.token) : -1n);

function peer(host: NetnsHost, server: PostgresServer): Promise<Peer> {
  return startPeer({
    host,
    driver: DRIVER,
    url: server.url,
    options: { memberId: host.name, applicationName: host.name, ...TIMEOUTS },
  });
}

/** The peers' reports, merged in the machine's monotonic order, with times relative to `origin`: for failure messages. */
function timeline(origin: bigint, ...peers: Peer[]): string {
  return peers
    .flatMap((p) => p.events.map((event) => ({ name: p.name, event })))
    .filter(({ event }) => event.kind !== 'ack')
    .sort((a, b) => (a.event.at < b.event.at ? -1 : a.event.at > b.event.at ? 1 : 0))
    .map(({ name, event }) => {
      const { at, seq: _seq, ...rest } = event;
      return `${(Number(at - origin) / 1e6).toFixed(1).padStart(9)} ms  ${name}  ${JSON.stringify(rest)}`;
    })
    .join('\n');
}

describe('a real partition (packets dropped inside a network namespace)', () => {
  it('the holder is told lost before the contender is granted its lock and its seat, and the token grows', async () => {
    await using net = await startNetns();
    await using server = await startPostgres({ netns: net });
    const holderHost = await net.host('holder');
    const contenderHost = await net.host('contender');
    await using holder = await peer(holderHost, server);
    await using contender = await peer(contenderHost, server);

    await holder.lock('job');
    const held = await holder.waitFor(isLock('held'), 'the lock');
    await holder.lead('seat');
    const leading = await holder.waitFor(isLeading(true), 'the seat');
    // The contender waits for both: it learns of the holder's end from its sweep (no NOTIFY comes).
    await contender.lock('job', { wait: PATIENCE });
    await contender.lead('seat');
    await contender.waitFor(isLeading(false), 'its candidacy');

    await holderHost.partition();
    const cut = process.hrtime.bigint();
    const granted = await contender.waitFor(isLock('held'), 'the lock, once the server ended the holder', PATIENCE);
    const seated = await contender.waitFor(isLeading(true), 'the seat', PATIENCE);
    // Whatever the holder reports, it has reported by now or soon: wait for it, then compare the order.
    const lost = await holder.waitFor(isLock('lost'), 'the loss', PATIENCE);
    const lockError = await holder.waitFor((event) => event.kind === 'lock-error', 'the LockLostError', PATIENCE);
    const unseated = await holder.waitFor(
      (event) => isLeading(false)(event) && event.seq > leading.seq,
      'leadership false',
      PATIENCE,
    );
    const story = `\n${timeline(cut, holder, contender)}`;

    expect(lost.at < granted.at, `the holder read its lock after the contender got it:${story}`).toBe(true);
    expect(lockError.at < granted.at, story).toBe(true);
    expect(lockError).toMatchObject({ error: 'LockLostError', reason: 'session-lost' });
    expect(unseated.at < seated.at, `two leaders at once:${story}`).toBe(true);
    expect(tokenOf(granted) > tokenOf(held), story).toBe(true);
    // Nothing the holder reported after the grant says it still holds.
    expect(
      holder.events.filter((event) => event.at > granted.at && isLock('held')(event)),
      story,
    ).toEqual([]);

    // Healed, the holder comes back in a new session, and the lock stays the contender's.
    await holderHost.heal();
    await holder.waitFor(
      (event) => event.kind === 'state' && event.state === 'reconnected' && event.seq > lost.seq,
      'a new session',
      PATIENCE,
    );
    expect(
      contender.events.filter((event) => event.kind === 'lock' && event.state !== 'held'),
      story,
    ).toEqual([]);
  });
});
