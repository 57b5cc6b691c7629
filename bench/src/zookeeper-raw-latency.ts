/**
 * The same latencies with plain node-zookeeper-client and the same requests,
 * so the SDK's figures can be read against what the server and the client
 * library give: a hand-off (the holder deletes its node; the waiter, watching
 * it, reads the queue and finds itself first) and a join seen by a watcher
 * (child watch, then the children, then the new member's data).
 */
import { type Client, CreateMode, type Event } from 'node-zookeeper-client';
import { type Percentiles, percentiles } from './latency.js';

const WARM_UP = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const call = <T>(send: (done: (error: unknown, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => send((error, value) => (error ? reject(error) : resolve(value))));

function create(client: Client, path: string, mode: number): Promise<string> {
  return call((done) => client.create(path, Buffer.from('raw'), mode, done));
}

function remove(client: Client, path: string): Promise<void> {
  return call<void>((done) => client.remove(path, (error) => done(error, undefined)));
}

export async function rawHandOff(a: Client, b: Client, samples: number): Promise<Percentiles> {
  const queue = '/bench-raw/handoff';
  await call((done) => a.mkdirp(queue, done));
  const latencies: number[] = [];
  let [holder, waiter] = [a, b];
  let held = await create(holder, `${queue}/n-`, CreateMode.EPHEMERAL_SEQUENTIAL);
  for (let i = 0; i < samples + WARM_UP; i++) {
    const mine = await create(waiter, `${queue}/n-`, CreateMode.EPHEMERAL_SEQUENTIAL);
    const woken = new Promise<void>((resolve) => {
      void call((done) => waiter.exists(held, () => resolve(), done));
    });
    await sleep(10);
    const start = performance.now();
    await remove(holder, held);
    await woken;
    const children = await call<string[]>((done) => waiter.getChildren(queue, done));
    if (children.sort()[0] !== mine.slice(queue.length + 1)) throw new Error('raw hand-off: not first');
    if (i >= WARM_UP) latencies.push(performance.now() - start);
    held = mine;
    [holder, waiter] = [waiter, holder];
  }
  await remove(holder, held);
  return percentiles(latencies);
}

export async function rawJoinToEvent(watcher: Client, member: Client, samples: number): Promise<Percentiles> {
  const group = '/bench-raw/group';
  await call((done) => watcher.mkdirp(group, done));
  const latencies: number[] = [];
  const node = `${group}/member`;
  for (let i = 0; i < samples + WARM_UP; i++) {
    let onSeen: (at: number) => void = () => undefined;
    const seen = new Promise<number>((resolve) => {
      onSeen = resolve;
    });
    const onChildren = (_event: Event) => {
      void call<string[]>((done) => watcher.getChildren(group, done)).then(() =>
        call((done) => watcher.getData(node, done)).then(() => onSeen(performance.now())),
      );
    };
    // The watch is armed once the server has answered: only then may the member join.
    await call((done) => watcher.getChildren(group, onChildren, done));
    const start = performance.now();
    await create(member, node, CreateMode.EPHEMERAL);
    // As the driver does: the member then watches its own node (for loss).
    await call((done) => member.exists(node, () => undefined, done));
    const at = await seen;
    if (i >= WARM_UP) latencies.push(at - start);
    await remove(member, node);
    await sleep(2);
  }
  return percentiles(latencies);
}
