import { randomUUID } from 'node:crypto';
import { type Coordinator, type CoreOptionsInput, connect } from '@tooz/core';
import { type FaultProxy, type PostgresServer, startFaultProxy } from './servers.js';

export interface Member {
  readonly coordinator: Coordinator;
  /** Between this member and the server: suspend, cut, resume. */
  readonly proxy: FaultProxy;
  /** Its application_name (the events connection adds `/events`). */
  readonly appName: string;
}

/**
 * Coordinators for a test, each behind its own fault proxy, all closed (and
 * their proxies with them) by `close()`.
 */
export class Members implements AsyncDisposable {
  private readonly open: Member[] = [];

  constructor(
    private readonly server: PostgresServer,
    private readonly defaults: CoreOptionsInput & Record<string, unknown> = {},
  ) {}

  async add(options: CoreOptionsInput & Record<string, unknown> = {}): Promise<Member> {
    const proxy = await startFaultProxy({ target: { host: this.server.host, port: this.server.port } });
    const appName = `t-${randomUUID().slice(0, 8)}`;
    try {
      const coordinator = await connect(proxy.via(this.server.url), {
        memberId: appName,
        applicationName: appName,
        ...this.defaults,
        ...options,
      });
      const member = { coordinator, proxy, appName };
      this.open.push(member);
      return member;
    } catch (error) {
      await proxy.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const members = this.open.splice(0);
    for (const { proxy } of members) proxy.resume();
    await Promise.allSettled(members.map(({ coordinator }) => coordinator.close()));
    await Promise.allSettled(members.map(({ proxy }) => proxy.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Resolves after `ms` of real time: lets things happen, never asserts speed. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a condition (test side only) until it holds; the bound is a hang guard. */
export { waitUntil as until } from '@tooz/testing';
