import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type Coordinator, connect, LockLostError, MembershipLostError } from '@tooz/core';
import { until, waitUntil } from '@tooz/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { crashableFile, hasWaiter, scratchDirectory } from './support.js';

const PATIENCE = 15_000;
const directory = scratchDirectory('crash');
const root = join(directory, 'tooz');
const { driver, crash } = crashableFile(directory);
const open: Coordinator[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function coordinator(memberId: string): Promise<Coordinator> {
  const c = await connect(driver, { memberId });
  open.push(c);
  return c;
}

describe('a holder that dies', () => {
  it('wakes a waiter at once, although the kernel reports the close before it drops the lock', async () => {
    const [a, b] = [await coordinator('dies-1'), await coordinator('waits-1')];
    const held = await a.acquire('crash-lock');
    // The waiter's patience is far below the safety retry (30 s): only the close can wake it.
    const waiting = b.acquire('crash-lock', { wait: PATIENCE });
    await waitUntil(() => hasWaiter(directory, 'crash-lock'), PATIENCE, 'the waiter registered');
    crash('dies-1');
    const next = await waiting;
    expect(next.fencingToken > held.fencingToken).toBe(true);
    await next.release();
  });

  it('passes leadership on, and every onlooker\u2019s leader$ follows each hand-over', async () => {
    const onlooker = await coordinator('onlooker-1');
    const onlookers = [onlooker, await coordinator('onlooker-2')];
    const candidates = [await coordinator('cand-1'), await coordinator('cand-2'), await coordinator('cand-3')];
    const stands = candidates.map((c) => c.leadership('crash-group').subscribe());
    let leader = await until(onlooker.leadership('crash-group').leader$, (id) => id !== null, 'a leader');
    for (let round = 0; round < 2; round++) {
      const before = leader;
      crash(before ?? '');
      for (const each of onlookers) {
        leader = await until(each.leadership('crash-group').leader$, (id) => id !== null && id !== before);
      }
      const leading = candidates.filter((c) => c.leadership('crash-group').value).map((c) => c.memberId);
      expect(leading.length).toBeLessThanOrEqual(1);
    }
    for (const stand of stands) stand.unsubscribe();
  });

  it('is reported left to watchers, and its files are pruned by whoever notices', async () => {
    const [a, b] = [await coordinator('member-dies'), await coordinator('member-watches')];
    await a.group('crash-members').create();
    const errors: unknown[] = [];
    a.group('crash-members')
      .join({ role: 'doomed' })
      .subscribe({ error: (e: unknown) => errors.push(e) });
    await until(b.group('crash-members').members$, (m) => m.has('member-dies'));
    using watch = await b.group('crash-members').watch();
    crash('member-dies');
    await until(watch.events$, (e) => e.type === 'left' && e.memberId === 'member-dies', 'left');
    expect(errors[0]).toBeInstanceOf(MembershipLostError);
    expect((await b.group('crash-members').members()).has('member-dies')).toBe(false);
    const groupDir = join(root, 'groups');
    await waitUntil(() =>
      readdirSync(groupDir).every((g) => readdirSync(join(groupDir, g)).every((f) => f === '.metadata')),
    );
    // The same member id joins again once it is back.
    const again = a.group('crash-members').join({ role: 'back' }).subscribe();
    await until(b.group('crash-members').members$, (m) => m.has('member-dies'));
    again.unsubscribe();
  });
});

describe('files removed behind a holder\u2019s back', () => {
  it('tells the holder of a lock whose file was deleted', async () => {
    const a = await coordinator('lock-owner');
    const lease = await a.acquire('deleted-under-me');
    unlinkSync(join(root, 'deleted-under-me'));
    expect(await until(lease.state$, (s) => s === 'lost')).toBe('lost');
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
  });

  it('tells a member whose file was deleted', async () => {
    const a = await coordinator('member-owner');
    await a.group('deleted-members').create();
    const errors: unknown[] = [];
    a.group('deleted-members')
      .join()
      .subscribe({ error: (e: unknown) => errors.push(e) });
    await until(a.group('deleted-members').members$, (m) => m.has('member-owner'));
    const groupDir = join(
      root,
      'groups',
      readdirSync(join(root, 'groups')).find((g) => {
        return readdirSync(join(root, 'groups', g)).some((f) => f.endsWith('.raw'));
      }) ?? '',
    );
    for (const name of readdirSync(groupDir)) if (name.endsWith('.raw')) unlinkSync(join(groupDir, name));
    await waitUntil(() => errors.length > 0, PATIENCE);
    expect(errors[0]).toBeInstanceOf(MembershipLostError);
  });
});

describe('fencing tokens', () => {
  it('keep increasing across coordinators and restarts: the counter lives beside the lock', async () => {
    const a = await coordinator('token-1');
    const first = await a.acquire('durable-token');
    await first.release();
    await a.close();
    expect(existsSync(join(root, '.durable-token.fence'))).toBe(true);
    const b = await coordinator('token-2');
    const second = await b.acquire('durable-token');
    expect(second.fencingToken).toBe(first.fencingToken + 1n);
    await second.release();
  });
});
