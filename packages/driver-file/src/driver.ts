import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ConnectionUrl, ConnectionError, type Driver, type DriverContext, InvalidArgumentError } from '@tooz/core';
import { fileCapabilities } from './capabilities.js';
import { errnoOf } from './errors.js';
import { Layout } from './layout.js';
import { native } from './native.js';
import { type FileOptions, type ParsedFileOptions, parseFileOptions, parseUrlOptions } from './options.js';
import { Removals } from './removals.js';
import { FileSession } from './session.js';
import { syncCall } from './sync-call.js';

/**
 * The embedded driver: every primitive for processes on one host, on OS
 * file locks in `directory` (created if missing).
 *
 * @example
 * const coordinator = await connect(file({ directory: '/var/lib/myapp/tooz' }), { memberId: 'worker-1' });
 */
export function file(options: FileOptions): Driver<typeof fileCapabilities> {
  const parsed = parseFileOptions(options);
  return {
    capabilities: fileCapabilities,
    description: `file://${parsed.directory}`,
    open: (context) => syncCall(() => openSession(parsed, context)),
  };
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
  return file({ directory: url.path, ...parseUrlOptions(options) });
}

function openSession(options: ParsedFileOptions, context: DriverContext): FileSession {
  const addon = native();
  const layout = new Layout(join(options.directory, context.namespace));
  try {
    for (const dir of [layout.groups, layout.tmp, layout.leaders]) mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = errnoOf(error);
    throw new ConnectionError(`Cannot use directory ${layout.root}${code ? ` (${code})` : ''}`, {
      cause: error,
      retryable: code === 'EIO' || code === 'ENOSPC',
    });
  }
  const { directory: _, ...settings } = options;
  return new FileSession({
    addon,
    layout,
    memberId: context.memberId,
    memberIdBytes: Buffer.from(context.memberId, 'utf8'),
    scheduler: context.scheduler,
    settings,
    removals: new Removals(),
  });
}
