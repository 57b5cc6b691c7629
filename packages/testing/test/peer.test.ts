import { describe, expect, it } from 'vitest';
import { type PeerEvent, startPeer } from '../src/index.js';
import { isProcessAlive } from '../src/internal.js';

/** The memory driver, imported by the peer from its sources: a driver module like any other. */
const MEMORY = new URL('../src/memory/index.ts', import.meta.url);

const report = (kind: PeerEvent['kind']) => (event: PeerEvent) => event.kind === kind;

describe('startPeer', { timeout: 30_000 }, () => {
  it('runs a coordinator in a child process, reporting what it sees on the machine-wide monotonic clock', async () => {
    const before = process.hrtime.bigint();
    await using peer = await startPeer({ driver: MEMORY, url: 'memory://peer-test', options: { memberId: 'p1' } });
    expect(peer.name).toBe('p1');
    await peer.lock('job');
    const held = await peer.waitFor((event) => event.kind === 'lock' && event.state === 'held', 'the lock');
    expect(held).toMatchObject({ name: 'job', token: expect.stringMatching(/^\d+$/) });
    await peer.lead('seat');
    await peer.waitFor((event) => event.kind === 'leadership' && event.leading, 'the seat');
    await peer.join('workers', { weight: 2 });
    await peer.waitFor(report('membership'), 'the membership');
    await peer.unlock('job');
    await peer.waitFor((event) => event.kind === 'lock' && event.state === 'released', 'the release');
    const after = process.hrtime.bigint();

    // One clock for both processes: every report falls between two readings taken here.
    const reports = peer.events.filter((event) => event.kind !== 'ack');
    for (const event of reports) {
      expect(event.at > before && event.at < after).toBe(true);
    }
    // And the peer's own order agrees with its clock.
    expect(peer.events.map((event) => event.seq)).toEqual(peer.events.map((_, index) => index));
    expect([...peer.events].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0))).toEqual(peer.events);

    await peer.close();
    expect(peer.events.some(report('closed'))).toBe(true);
    expect(peer.alive).toBe(false);
    expect(isProcessAlive(peer.pid)).toBe(false);
  });

  it('fails a command the coordinator refuses, with the reason', async () => {
    await using peer = await startPeer({ driver: MEMORY, url: 'memory://peer-test-2', options: { memberId: 'p2' } });
    await expect(peer.join('')).rejects.toThrow(/InvalidArgumentError/);
  });

  it('says why when the peer cannot start', async () => {
    await expect(
      startPeer({ driver: MEMORY, url: 'memory://x', options: { memberId: 'p3', noSuchOption: 1 }, boundMs: 20_000 }),
    ).rejects.toThrow(/noSuchOption/);
  });
});
