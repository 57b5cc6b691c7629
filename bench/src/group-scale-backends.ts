/**
 * Backends for the group-scale bench: a real server, the SDK watcher, the
 * baseline watcher (the backend's own notifications, through its raw client)
 * and a member writer in a child process (group-scale-writer.ts), so that
 * this process's CPU is the watchers'. One raw client writes every member:
 * 10,000 coordinators would exhaust the servers' per-host connection limits
 * before they measured anything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Coordinator, connect } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { zookeeper } from '@tooz/driver-zookeeper';
import { startEtcd, startZookeeper } from '@tooz/testing';
import { Etcd3 } from 'etcd3';
import { Event } from 'node-zookeeper-client';
import { bounded } from './loops.js';
import { rawClient } from './zookeeper-loops.js';

export interface ScaleBackend {
  readonly name: string;
  /** A coordinator for the watcher (the SDK under measurement). */
  watcher(): Promise<Coordinator>;
  /** Writes members member-0 … member-(count − 1), from the writer process. */
  join(group: string, count: number): Promise<void>;
  leave(group: string, count: number): Promise<void>;
  /** The baseline watcher: the backend's own notifications, told the member count after each. */
  rawWatch(group: string, onChange: (members: number) => void): Promise<() => void>;
  close(): Promise<void>;
}

const WRITE_MS = 300_000;

/** The writer child: one request at a time, each answered by one line. */
async function startWriter(backend: string, hosts: string) {
  const script = fileURLToPath(new URL('./group-scale-writer.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, backend, hosts], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const pending: Array<(line: string) => void> = [];
  lines.on('line', (line) => pending.shift()?.(line));
  const next = () => new Promise<string>((resolve) => pending.push(resolve));
  const ready = await bounded(next(), `${backend} writer start`, 30_000);
  if (ready !== 'ready') throw new Error(`${backend} writer: ${ready}`);
  const request = async (op: 'join' | 'leave', group: string, count: number) => {
    const answer = next();
    child.stdin?.write(`${JSON.stringify({ op, group, count })}\n`);
    const line = await bounded(answer, `${backend} writer ${op} ${count}`, WRITE_MS);
    if (line !== 'ok') throw new Error(`${backend} writer: ${line}`);
  };
  return {
    join: (group: string, count: number) => request('join', group, count),
    leave: (group: string, count: number) => request('leave', group, count),
    close: () => {
      child.stdin?.end();
      child.kill();
    },
  };
}

export async function zookeeperBackend(): Promise<ScaleBackend> {
  const server = await startZookeeper();
  const hosts = `${server.host}:${server.port}`;
  const client = await rawClient(hosts);
  const writer = await startWriter('zookeeper', hosts);
  const coordinators: Coordinator[] = [];
  return {
    name: 'zookeeper',
    async watcher() {
      const c = await connect(zookeeper({ hosts }), { memberId: 'scale-watcher', ttl: 30_000 });
      coordinators.push(c);
      return c;
    },
    join: writer.join,
    leave: writer.leave,
    async rawWatch(group, onChange) {
      // ZooKeeper's child watch fires once and carries no delta: re-arm and re-list, as any client must.
      let open = true;
      const arm = () =>
        client.getChildren(
          `/tooz/${group}`,
          (event) => {
            if (open && event.getType() === Event.NODE_CHILDREN_CHANGED) arm();
          },
          (error, children) => {
            if (open && !error) onChange(children.length);
          },
        );
      arm();
      return () => {
        open = false;
      };
    },
    async close() {
      for (const c of coordinators) await c.close();
      writer.close();
      client.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

export async function etcdBackend(): Promise<ScaleBackend> {
  const server = await startEtcd();
  const hosts = `${server.host}:${server.port}`;
  const client = new Etcd3({ hosts: `http://${hosts}` });
  const writer = await startWriter('etcd', hosts);
  const coordinators: Coordinator[] = [];
  return {
    name: 'etcd',
    async watcher() {
      const c = await connect(etcd({ hosts }), { memberId: 'scale-watcher', ttl: 30_000 });
      coordinators.push(c);
      return c;
    },
    join: writer.join,
    leave: writer.leave,
    async rawWatch(group, onChange) {
      const watcher = await client.watch().prefix(`tooz/groups/${group}/`).create();
      // Keeps the member set, as a raw watcher of the group would.
      const members = new Set<string>();
      watcher.on('put', (kv) => {
        members.add(kv.key.toString());
        onChange(members.size);
      });
      watcher.on('delete', (kv) => {
        members.delete(kv.key.toString());
        onChange(members.size);
      });
      onChange(0);
      return () => void watcher.cancel();
    },
    async close() {
      for (const c of coordinators) await c.close();
      writer.close();
      client.close();
      await server[Symbol.asyncDispose]();
    },
  };
}
