import {
  type CapabilityDescriptor,
  type ConnectionUrl,
  type Driver,
  InvalidArgumentError,
  parseOptions,
  duration,
} from '@tooz/core/driver';
import { z } from 'zod';
import { MemoryServer } from './memory-server.js';

/** What the memory driver offers: every primitive, fencing, push notifications, TTL liveness. */
export const memoryCapabilities = {
  name: 'memory',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'ttl',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'LINEARIZABLE'],
} as const satisfies CapabilityDescriptor;

/** The same backend without push: core polls holders and members (the poll branch of the conformance suite runs on it). */
export const memoryPollCapabilities = {
  ...memoryCapabilities,
  notifications: 'poll',
  pollInterval: 50,
} as const satisfies CapabilityDescriptor;

const servers = new Map<string, MemoryServer>();

/** The process-wide server behind `memory://<name>`; created on first use. */
export function namedMemoryServer(name = 'default'): MemoryServer {
  let server = servers.get(name);
  if (!server) {
    server = new MemoryServer();
    servers.set(name, server);
  }
  return server;
}

/** Options of `memory({...})`. */
export interface MemoryDriverOptions {
  /** A server of the test's own (default: the process-wide one named `name`). */
  readonly server?: MemoryServer;
  /** Which process-wide server to use, as in `memory://<name>` (default `default`); ignored with `server`. */
  readonly name?: string;
  /** 'poll': no notifications at all, as on memcached or MySQL; core polls (default 'push'). */
  readonly notifications?: 'push' | 'poll';
}

/** A driver object for `connect(memory({ server }))`. */
export function memory(options: MemoryDriverOptions & { notifications?: 'push' }): Driver<typeof memoryCapabilities>;
export function memory(options: MemoryDriverOptions & { notifications: 'poll' }): Driver<typeof memoryPollCapabilities>;
export function memory(options?: MemoryDriverOptions): Driver<typeof memoryCapabilities>;
export function memory(options: MemoryDriverOptions = {}): Driver {
  const server = options.server ?? namedMemoryServer(options.name);
  const push = options.notifications !== 'poll';
  return {
    capabilities: push ? memoryCapabilities : memoryPollCapabilities,
    description: `memory://${options.name ?? (options.server ? '(private)' : 'default')}${push ? '' : '?notifications=poll'}`,
    open: async (context) => server.open(context, push),
  };
}

const urlOptions = z
  .object({ latency: duration('ms').optional(), notifications: z.enum(['push', 'poll']).optional() })
  .strict();

/** `memory://name?latency=5ms`: every coordinator on the same name shares one server. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  if (url.hosts.length > 1) throw new InvalidArgumentError('url.host', 'memory:// takes one server name');
  const parsed = parseOptions(urlOptions, options);
  const name = url.hosts[0]?.host || 'default';
  const server = namedMemoryServer(name);
  if (parsed.latency !== undefined) server.latency = parsed.latency;
  return memory({ server, name, notifications: parsed.notifications ?? 'push' });
}
