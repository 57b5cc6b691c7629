import { connect, type Coordinator } from '@tooz/core';
import { type MysqlServer, ProxiedMembers, startMysql } from '@tooz/testing';
import { type Connection, createConnection } from 'mysql2/promise';
import { afterAll, beforeAll } from 'vitest';

/**
 * One MariaDB per test file, each coordinator behind its own fault proxy,
 * and an admin connection that ends a member's server session as a DBA's
 * `KILL CONNECTION` would (the member's connection id comes from its own
 * `diagnose()`).
 */
export function mysqlPerFile(options: { url?: (server: MysqlServer) => string } = {}) {
  const state = {} as { server: MysqlServer; admin: Connection; members: ProxiedMembers };
  const opened = new Map<string, Coordinator[]>();
  beforeAll(async () => {
    state.server = await startMysql();
    state.admin = await createConnection(state.server.url);
    state.admin.on('error', () => undefined);
    const url = options.url?.(state.server) ?? state.server.url;
    state.members = new ProxiedMembers(state.server, async (proxy, o) => {
      const coordinator = await connect(proxy.via(url), o);
      opened.set(o.memberId, [...(opened.get(o.memberId) ?? []), coordinator]);
      return coordinator;
    });
  });
  afterAll(async () => {
    await state.members?.close();
    await state.admin?.end();
    await state.server?.[Symbol.asyncDispose]();
  });
  return {
    get server() {
      return state.server;
    },
    get members() {
      return state.members;
    },
    get admin() {
      return state.admin;
    },
    connect: async (o: Parameters<ProxiedMembers['add']>[0] & { memberId: string }) =>
      (await state.members.add(o)).coordinator,
    /** Restarts the server (the admin connection with it). */
    async restartServer(): Promise<void> {
      await state.admin.end().catch(() => undefined);
      await state.server.restart();
      state.admin = await createConnection(state.server.url);
    },
    /** Ends the server session of every open coordinator of `memberId`. */
    async kill(memberId: string): Promise<number[]> {
      const ids: number[] = [];
      for (const coordinator of opened.get(memberId) ?? []) {
        if (coordinator.state === 'closed') continue;
        const id = Number((await coordinator.diagnose()).server.connectionId);
        await state.admin.query(`KILL CONNECTION ${id}`);
        ids.push(id);
      }
      return ids;
    },
  };
}
