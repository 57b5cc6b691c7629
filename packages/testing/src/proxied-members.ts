import { randomUUID } from 'node:crypto';
import type { Coordinator, CoreOptionsInput } from '@tooz/core';
import { type FaultProxy, startFaultProxy } from './servers/fault-proxy.js';

type Options = CoreOptionsInput & Readonly<Record<string, unknown>>;

/** One coordinator behind a fault proxy of its own. */
export interface ProxiedMember {
  /** The member id it connected as. */
  readonly memberId: string;
  /** Its coordinator, connected through `proxy`. */
  readonly coordinator: Coordinator;
  /** The proxy carrying its traffic, and only its. */
  readonly proxy: FaultProxy;
}

/**
 * Coordinators for a fault test, each reaching the server through its own
 * fault proxy, so that one member's link can be suspended, cut or slowed
 * while the others carry on. `open` says how a driver connects through a
 * proxy (usually `connect(proxy.via(server.url), options)`). `close()`
 * resumes every link, closes every coordinator, then every proxy.
 */
export class ProxiedMembers implements AsyncDisposable {
  private readonly members: ProxiedMember[] = [];

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly open: (proxy: FaultProxy, options: Options & { memberId: string }) => Promise<Coordinator>,
    private readonly defaults: Options = {},
  ) {}

  /** Connects a member (a fresh member id unless one is given) behind a new proxy. */
  async add(options: Options = {}): Promise<ProxiedMember> {
    const proxy = await startFaultProxy({ target: { host: this.target.host, port: this.target.port } });
    const memberId =
      typeof options.memberId === 'string' ? options.memberId : `m-${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    try {
      const coordinator = await this.open(proxy, { ...this.defaults, ...options, memberId });
      const member = { memberId, coordinator, proxy };
      this.members.push(member);
      return member;
    } catch (error) {
      await proxy.close();
      throw error;
    }
  }

  /** The proxies of every coordinator connected as `memberId` (a member may reconnect under one id). */
  proxies(memberId: string): FaultProxy[] {
    return this.members.filter((member) => member.memberId === memberId).map((member) => member.proxy);
  }

  /** Holds every byte to and from `memberId` (see FaultProxy.suspend) until `resume`. */
  suspend(memberId: string): void {
    for (const proxy of this.proxies(memberId)) proxy.suspend();
  }

  /** Lets `memberId`'s held and new traffic flow again. */
  resume(memberId: string): void {
    for (const proxy of this.proxies(memberId)) proxy.resume();
  }

  /** Drops `memberId`'s open connections; new ones are accepted. */
  cut(memberId: string): void {
    for (const proxy of this.proxies(memberId)) proxy.cut();
  }

  /** Resumes every link, closes every coordinator, then every proxy; never throws. */
  async close(): Promise<void> {
    const members = this.members.splice(0);
    for (const { proxy } of members) proxy.resume();
    await Promise.allSettled(members.map(({ coordinator }) => coordinator.close()));
    await Promise.allSettled(members.map(({ proxy }) => proxy.close()));
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
