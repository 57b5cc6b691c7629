import { connect } from '@tooz/core';
import { MemoryServer, memory } from '@tooz/testing';
import { describe, expect, it } from 'vitest';

describe('close() while an acquire and a join are in flight', () => {
  it('gives back what they grant before the session goes, so nobody waits out a TTL', async () => {
    // Real time, with every reply 20 ms away: the acquire and the join are granted on the server at
    // once and answered after close() has begun.
    const server = new MemoryServer({ latency: 20 });
    const [a, b] = [
      await connect(memory({ server }), { memberId: 'a', ttl: 60_000 }),
      await connect(memory({ server }), { memberId: 'b', ttl: 60_000 }),
    ];
    await b.group('g').create();
    const outcomes: string[] = [];
    a.lock('x').subscribe({ complete: () => outcomes.push('lock complete'), error: () => outcomes.push('error') });
    a.group('g')
      .join()
      .subscribe({ complete: () => outcomes.push('join complete'), error: () => outcomes.push('error') });
    await a.close();
    expect(outcomes.sort()).toEqual(['join complete', 'lock complete']);
    expect(server.holderOf('x')).toBeNull();
    expect([...(await b.group('g').members()).keys()]).toEqual([]);
    const lease = await b.acquire('x', { wait: 0 });
    expect(lease.fencingToken).toBe(2n);
    await lease.release();
    await b.close();
    expect(b.state).toBe('closed');
  });
});
