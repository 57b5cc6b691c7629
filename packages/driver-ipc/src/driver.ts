import {
  type CapabilityDescriptor,
  type ConnectionUrl,
  type Driver,
  type DriverContext,
  InvalidArgumentError,
} from '@tooz/core/driver';
import { syscall } from './errors.js';
import { IpcKeys } from './keys.js';
import { native } from './native.js';
import { type IpcOptions, type IpcSettings, parseIpcOptions } from './options.js';
import { IpcSession } from './session.js';

/**
 * Processes on one Linux host, on System V semaphores. A holder or a member
 * is alive while its process is: the kernel undoes its semaphore operations
 * when it dies (SEM_UNDO), so nothing expires by time (NON_TIMEOUT_BASED).
 * Nothing notifies watchers of a change, so core polls holders for `leader$`
 * and members for group watchers; a waiting lock is handed over by the
 * kernel at release, not polled.
 */
export const ipcCapabilities = {
  name: 'ipc',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'poll',
  pollInterval: 250,
  liveness: 'session',
  characteristics: ['NON_TIMEOUT_BASED', 'DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES'],
} as const satisfies CapabilityDescriptor;

/**
 * Locks, groups and leadership for processes on this host, with no server. In the
 * default namespace (`tooz`) lock keys are Python tooz's own.
 *
 * @example
 * const coordinator = await connect(ipc(), { memberId: 'worker-1' });
 */
export function ipc(options: IpcOptions = {}): Driver<typeof ipcCapabilities> {
  return driverFor(parseIpcOptions(options));
}

/** `ipc://` (tooz's only option, `executor`, is accepted and ignored). */
export function fromUrl(
  url: ConnectionUrl,
  options: Readonly<Record<string, unknown>>,
): Driver<typeof ipcCapabilities> {
  if (url.username !== undefined || url.password !== undefined) {
    throw new InvalidArgumentError('url', 'an ipc:// URL takes no user or password');
  }
  const [first, ...more] = url.hosts;
  if (more.length > 0 || (first && (first.host !== '' || first.port !== undefined))) {
    throw new InvalidArgumentError('url.host', "an ipc:// URL takes no host: the semaphores are this host's");
  }
  if (url.path && url.path !== '/') throw new InvalidArgumentError('url.path', 'an ipc:// URL takes no path');
  return driverFor(parseIpcOptions(options, 'url'));
}

function driverFor(settings: IpcSettings): Driver<typeof ipcCapabilities> {
  return {
    capabilities: ipcCapabilities,
    description: 'ipc://',
    open: (context) => syscall(() => openSession(settings, context)),
  };
}

function openSession(settings: IpcSettings, context: DriverContext): IpcSession {
  const addon = native();
  const keys = new IpcKeys(context.namespace);
  const table = addon.attach(keys.table, true);
  try {
    // What crashed holders left behind, taken and removed by the same rule as a release.
    if (settings.sweep) addon.sweep(table);
  } catch (error) {
    addon.detach(table);
    throw error;
  }
  const { memberId } = context;
  return new IpcSession({ addon, keys, table, memberId, memberIdBytes: Buffer.from(memberId, 'utf8') });
}
