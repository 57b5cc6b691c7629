import {
  type CapabilityDescriptor,
  type ConnectionUrl,
  type Driver,
  InvalidArgumentError,
  parseOptions,
  duration,
} from '@tooz/core';
import { z } from 'zod';
import { MemoryServer } from './memory-server.js';

export const memoryCapabilities = {
  name: 'memory',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'ttl',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'LINEARIZABLE'],
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

/** A driver object for `connect(memory({ server }))`. */
export function memory(options: { server?: MemoryServer; name?: string } = {}): Driver<typeof memoryCapabilities> {
  const server = options.server ?? namedMemoryServer(options.name);
  return {
    capabilities: memoryCapabilities,
    description: `memory://${options.name ?? (options.server ? '(private)' : 'default')}`,
    open: async (context) => server.open(context),
  };
}

const urlOptions = z.object({ latency: duration('ms').optional() }).strict();

/** `memory://name?latency=5ms`: every coordinator on the same name shares one server. */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  if (url.hosts.length > 1) throw new InvalidArgumentError('url.host', 'memory:// takes one server name');
  const parsed = parseOptions(urlOptions, options);
  const name = url.hosts[0]?.host || 'default';
  const server = namedMemoryServer(name);
  if (parsed.latency !== undefined) server.latency = parsed.latency;
  return memory({ server, name });
}
