import { randomUUID } from 'node:crypto';
import { type ConnectionState, type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { type ZookeeperDriver, zookeeper } from '@tooz/driver-zookeeper';
import {
  startZookeeperEnsemble,
  until as untilWithin,
  waitUntil,
  type ZookeeperEnsemble,
  type ZookeeperServer,
} from '@tooz/testing';
import type { Observable, Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fourLetterWord } from './support/four-letter.js';
import { holdEverything } from './support/hold.js';
import { Inspector } from './support/inspect.js';

// The only ensemble of the project: three JVMs are the slowest fixture there is.
let ensemble: ZookeeperEnsemble;
const open: Coordinator[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  ensemble = await startZookeeperEnsemble(3);
});
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
  await Promise.all(ensemble.members.filter((m) => !m.running).map((m) => m.start()));
});
afterAll(async () => {
  await ensemble?.[Symbol.asyncDispose]();
});

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const hosts = () => ensemble.members.map((m) => `${m.host}:${m.port}`);

async function coordinator(ttl: number): Promise<{ coordinator: Coordinator; driver: ZookeeperDriver }> {
  const driver = zookeeper({ hosts: hosts() });
  const c = await connect(driver, { memberId: id('m'), ttl });
  open.push(c);
  return { coordinator: c, driver };
}

// An ensemble moves slowly: elections and JVM restarts.
const until = <T>(source: Observable<T>, predicate: (value: T) => boolean, what: string) =>
  untilWithin(source, predicate, what, 60_000);

function states(c: Coordinator): ConnectionState[] {
  const seen: ConnectionState[] = [];
  subscriptions.push(c.state$.subscribe((s) => seen.push(s)));
  return seen;
}

/** The ensemble member serving a session, from each member's `cons` listing. */
async function servingMember(driver: ZookeeperDriver): Promise<ZookeeperServer> {
  const session = driver.sessions()[0];
  if (!session) throw new Error('no open session');
  const sid = `sid=0x${session.sessionId.toString('hex').replace(/^0+/, '')}`;
  for (const member of ensemble.members) {
    if (!member.running) continue;
    if ((await fourLetterWord(member, 'cons').catch(() => '')).includes(sid)) return member;
  }
  throw new Error(`no member serves ${sid}`);
}

describe('ZooKeeper ensemble of three', () => {
  it('the member serving the session is killed: the client moves on, nothing is lost', async () => {
    const { coordinator: a, driver } = await coordinator(10_000);
    const { coordinator: b } = await coordinator(10_000);
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, name, group, subscriptions);
    const serving = await servingMember(driver);
    await serving.kill();
    await until(a.state$, (s) => s === 'reconnected', 'reconnection to another member');
    expect(seen).not.toContain('lost');
    expect(errors).toEqual([]);
    expect(lease.state).toBe('held');
    expect(await servingMember(driver)).not.toBe(serving);
    expect(await b.acquire(name, { wait: 250 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    expect((await b.group(group).members()).has(a.memberId)).toBe(true);
    await until(a.leadership(group), (v) => v, 'leading again');
  });

  it('two of three killed: suspended, lost after the session timeout, recovered when the quorum is back', async () => {
    const { coordinator: a, driver } = await coordinator(3_000);
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, name, group, subscriptions);
    const serving = await servingMember(driver);
    const others = ensemble.members.filter((m) => m !== serving);
    // The serving member survives alone and, without a quorum, stops serving.
    await Promise.all(others.map((m) => m.kill()));
    await until(a.state$, (s) => s === 'lost', 'loss of the session');
    expect(seen.slice(0, 3)).toEqual(['connected', 'suspended', 'lost']);
    expect(lease.state).toBe('lost');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await Promise.all(others.map((m) => m.start()));
    await until(a.state$, (s) => s === 'reconnected', 'a new session once the quorum is back');
    await until(a.leadership(group), (v) => v, 'leadership in the new session');
    // The abandoned session expires on the ensemble in its turn: none of its nodes linger.
    const inspector = await Inspector.connect(hosts().join(','));
    try {
      await waitUntil(async () => (await inspector.childrenOrNone(`/tooz/locks/${name}`)).length === 0, 30_000);
      await waitUntil(async () => (await inspector.children(`/tooz/${group}/leader`)).length === 1, 30_000);
      expect(await inspector.children(`/tooz/${group}`)).toEqual(['leader']);
    } finally {
      inspector.close();
    }
  });
});
