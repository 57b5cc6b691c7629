import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CapabilityDescriptor,
  ConnectionError,
  type ConnectionUrl,
  type Driver,
  type DriverContext,
  InvalidArgumentError,
} from '@tooz/core/driver';
import { errnoOf } from './errors.js';
import { Removals } from './inotify/removals.js';
import { FileKeys } from './keys.js';
import { native } from './native.js';
import { type FileOptions, type FileSettings, parseFileOptions } from './options.js';
import { FileSession } from './session.js';
import { syncCall } from './sync-call.js';

/**
 * Processes on one host. A holder or member is alive while its process
 * holds an OS file lock, which the kernel drops when the process dies:
 * nothing expires by time (NON_TIMEOUT_BASED), nothing outlives a crash.
 */
export const fileCapabilities = {
  name: 'file',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: 'push',
  liveness: 'session',
  characteristics: ['NON_TIMEOUT_BASED', 'DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES'],
} as const satisfies CapabilityDescriptor;

/**
 * The embedded driver: every primitive for processes on one host, on OS
 * file locks in `directory` (created if missing).
 *
 * @example
 * const coordinator = await connect(file({ directory: '/var/lib/myapp/tooz' }), { memberId: 'worker-1' });
 */
export function file(options: FileOptions): Driver<typeof fileCapabilities> {
  return driverFor(parseFileOptions(options));
}

/** `file:///absolute/path?crash_detection=500ms`: the path is the directory, as in tooz. */
export function fromUrl(
  url: ConnectionUrl,
  options: Readonly<Record<string, unknown>>,
): Driver<typeof fileCapabilities> {
  if (url.username !== undefined || url.password !== undefined) {
    throw new InvalidArgumentError('url', 'a file:// URL takes no user or password');
  }
  const [first, ...more] = url.hosts;
  if (more.length > 0 || (first && ((first.host !== '' && first.host !== 'localhost') || first.port !== undefined))) {
    throw new InvalidArgumentError(
      'url.host',
      'a file:// URL takes no host: write file:///absolute/path (three slashes)',
    );
  }
  if (!url.path) throw new InvalidArgumentError('url.path', 'must name a directory: file:///absolute/path');
  if (options.directory !== undefined) throw new InvalidArgumentError('options.directory', 'is not a known option');
  return driverFor(parseFileOptions({ ...options, directory: url.path }, 'url'));
}

function driverFor(settings: FileSettings): Driver<typeof fileCapabilities> {
  return {
    capabilities: fileCapabilities,
    description: `file://${settings.directory}`,
    open: (context) => syncCall(() => openSession(settings, context)),
  };
}

function openSession(settings: FileSettings, context: DriverContext): FileSession {
  const addon = native();
  const keys = new FileKeys(join(settings.directory, context.namespace));
  try {
    for (const dir of [keys.groups, keys.tmp, keys.leaders]) mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = errnoOf(error);
    throw new ConnectionError(`Cannot use directory ${keys.root}${code ? ` (${code})` : ''}`, {
      cause: error,
      retryable: code === 'EIO' || code === 'ENOSPC',
    });
  }
  return new FileSession({
    addon,
    keys,
    memberId: context.memberId,
    memberIdBytes: Buffer.from(context.memberId, 'utf8'),
    scheduler: context.scheduler,
    settings,
    removals: new Removals(),
  });
}
