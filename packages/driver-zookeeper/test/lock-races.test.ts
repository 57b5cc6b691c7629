import { randomUUID } from 'node:crypto';
import { type Coordinator, connect } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { type FaultProxy, until, waitUntil } from '@tooz/testing';
import { filter } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { zookeeperBed } from './support/bed.js';
import { ZookeeperMembers } from './support/proxied.js';
import { type ReplyDelayProxy, startReplyDelayProxy } from './support/reply-delay-proxy.js';

// Safety review: races between lock replies and connection faults, against a real server through fault proxies.
const bed = zookeeperBed();
const { open } = bed;
const members = new ZookeeperMembers(() => bed.server);
const proxies: ReplyDelayProxy[] = [];

afterAll(() => Promise.all([members.close(), ...proxies.splice(0).map((proxy) => proxy.close())]));

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function direct(): Promise<Coordinator> {
  const coordinator = await connect(zookeeper({ hosts: `${bed.server.host}:${bed.server.port}` }), {
    memberId: id('m'),
    ttl: 10_000,
  });
  open.push(coordinator);
  return coordinator;
}

/** A coordinator that reaches the server through its own fault proxy. */
async function proxied(ttl = 10_000): Promise<{ coordinator: Coordinator; proxy: FaultProxy }> {
  const member = await members.add({ ttl });
  open.push(member.coordinator);
  return member;
}

describe('the holder node watch through a connection loss', () => {
  it('a lock broken after a cut that hit the watch request right after the grant: the holder is told', async () => {
    const { coordinator: a, proxy } = await proxied();
    const [b, c] = [await direct(), await direct()];
    const name = id('lock');
    const lease = await a.acquire(name);
    // Same tick as the grant: the watch on the holder node is on the wire, not yet answered. The cut fails it.
    proxy.cut();
    await until(a.state$, (s) => s === 'reconnected', 'reconnection in the same session');
    expect(lease.state).toBe('held');
    expect(await c.breakLock(name)).toBe(true);
    const next = await b.acquire(name, { wait: 30_000 });
    // The bound is a hang guard: without a watch on its node, the old holder never hears of the break.
    await waitUntil(() => lease.state === 'lost', 10_000);
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });
});

describe('an acquire abandoned while its create is unanswered', () => {
  it('the create applied but its reply lost with the connection: the node is found and deleted', async () => {
    const { coordinator: a, proxy } = await proxied();
    const b = await direct();
    const name = id('lock');
    const queue = `/tooz/locks/${name}`;
    // Create the queue first, so the create below is the only request that matters.
    await (await b.acquire(name)).release();
    // Slow both ways: the create reaches the server, its reply is still on the way back when we cut.
    proxy.latency(1_500);
    const attempt = a.lock(name).subscribe({ error: () => undefined });
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 1);
    attempt.unsubscribe();
    proxy.cut();
    proxy.latency(0);
    await until(a.state$, (s) => s === 'reconnected', 'reconnection in the same session');
    // a's session lives on; a node it forgot would hold the lock for everyone until that session ends.
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 0, 10_000);
    const lease = await b.acquire(name, { wait: 10_000 });
    await lease.release();
  });
});

describe('a session renewed by a reconnection whose answer was slow', () => {
  it('then cut off: the holder is told lost before the server can give its lock away', async () => {
    // 6 s sessions: the loss is declared 600 ms before the server may expire the session. A 1.5 s reply
    // path is longer than that margin, yet short enough for a reconnection to complete.
    const proxy = await startReplyDelayProxy({ host: bed.server.host, port: bed.server.port });
    proxies.push(proxy);
    const a = await connect(zookeeper({ hosts: proxy.address }), { memberId: id('m'), ttl: 6_000 });
    open.push(a);
    const b = await direct();
    const name = id('lock');
    const lease = await a.acquire(name);
    const order: string[] = [];
    lease.state$.pipe(filter((s) => s === 'lost')).subscribe(() => order.push('a lost'));
    const next = b.acquire(name, { wait: 60_000 }).then((held) => {
      order.push('b holds');
      return held;
    });
    await waitUntil(async () => (await bed.inspector.children(`/tooz/locks/${name}`)).length === 2);
    proxy.delayReplies(1_500);
    proxy.cut();
    // The server renewed the session when the reconnection request came in, 1.5 s before a heard of it.
    await until(a.state$, (s) => s === 'reconnected', 'reconnection in the same session');
    proxy.suspend();
    const held = await next;
    await waitUntil(() => order.length === 2, 10_000);
    expect(order).toEqual(['a lost', 'b holds']);
    expect(held.fencingToken > lease.fencingToken).toBe(true);
    await held.release();
  });
});

describe('an acquire answered while the process was stalled past the session timeout', () => {
  it('is not handed out held in the expired session', async () => {
    const a = await connect(zookeeper({ hosts: `${bed.server.host}:${bed.server.port}` }), {
      memberId: id('m'),
      ttl: 2_000,
    });
    open.push(a);
    const name = id('lock');
    const queue = `/tooz/locks/${name}`;
    await (await a.acquire(name)).release();
    // The server is stopped while the requests go out, and let go inside a timer callback that then stalls
    // (a GC pause, a blocking call): the replies come during the stall and wait in the socket, the server
    // expires the silent session meanwhile, and the poll phase that follows a timer callback reads them
    // before any timer can notice. (Stopping the server first keeps the replies from arriving early.)
    await bed.server.pause();
    const pending = a.acquire(name, { wait: 30_000 });
    let resumed: Promise<void> = Promise.resolve();
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        resumed = bed.server.resume();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4_000);
        resolve();
      }, 0),
    );
    const lease = await pending;
    const heldAtDelivery = lease.state === 'held';
    await resumed;
    const nodes = await bed.inspector.children(queue);
    // Held means its node exists: a node of the expired session is gone, and anyone may hold the lock.
    expect({ heldAtDelivery, nodes: nodes.length }).not.toEqual({ heldAtDelivery: true, nodes: 0 });
  });
});
