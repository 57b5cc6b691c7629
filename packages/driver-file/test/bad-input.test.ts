import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type Coordinator,
  ConnectionError,
  connect,
  InvalidArgumentError,
  parseConnectionUrl,
  registerDriver,
} from '@tooz/core';
import * as fileDriver from '@tooz/driver-file';
import { file, fromUrl } from '@tooz/driver-file';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scratchDirectory } from './support.js';

const sandbox = scratchDirectory('bad-input');
const directory = join(sandbox, 'coordination');
const open: Coordinator[] = [];

beforeAll(() => registerDriver('file', fileDriver));
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

/** Every path under `root`, relative to it. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out.push(relative(root, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out.sort();
}

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('options and URLs', () => {
  it('refuses bad driver options, naming the field', () => {
    expect(refusal(() => file({ directory: 'relative/dir' })).field).toBe('options.directory');
    expect(refusal(() => file({ directory: '' })).field).toBe('options.directory');
    expect(refusal(() => file({ directory: '/tmp/a\u0000b' })).field).toBe('options.directory');
    expect(refusal(() => file({ directory, crashDetection: -1 })).field).toBe('options.crashDetection');
    expect(refusal(() => file({ directory, safetyRetry: 'soon' })).field).toBe('options.safetyRetry');
    expect(refusal(() => file({ directory, bogus: 1 } as never)).field).toBe('options.bogus');
  });

  it('refuses file:// URLs with a host, credentials, no path or unknown options', async () => {
    const url = (text: string) => parseConnectionUrl(text);
    expect(refusal(() => fromUrl(url('file://tmp/x'), {})).field).toBe('url.host');
    expect(refusal(() => fromUrl(url('file://host:1/x'), {})).field).toBe('url.host');
    expect(refusal(() => fromUrl(url('file://user:secret@/x'), {})).message).not.toContain('secret');
    expect(refusal(() => fromUrl(url('file://'), {})).field).toBe('url.path');
    expect(refusal(() => fromUrl(url('file:///tmp/x'), { crash_detection: 'soon' })).field).toBe(
      'options.crash_detection',
    );
    // tooz refuses an executor it does not know, and so does this driver.
    expect(refusal(() => fromUrl(url('file:///tmp/x?executor=forked'), { executor: 'forked' })).field).toBe(
      'options.executor',
    );
    const viaConnect = await connect('file:///tmp/x?colour=blue', { memberId: 'x' }).catch((e) => e);
    expect(viaConnect).toBeInstanceOf(InvalidArgumentError);
    expect((viaConnect as InvalidArgumentError).field).toBe('options.colour');
  });

  it('connects by URL, tooz style, with URL options in seconds or with units', async () => {
    const c = await connect(`file://${directory}?crash_detection=250ms&safety_retry=5&timeout=10`, { memberId: 'url' });
    open.push(c);
    expect(c.driver.name).toBe('file');
    expect(c.driver.description).toBe(`file://${directory}`);
    await (await c.acquire('by-url')).release();
    const local = await connect(`file://localhost${directory}`, { memberId: 'localhost' });
    open.push(local);
    await (await local.acquire('by-url')).release();
  });

  it("accepts tooz's executor option (and its timeout), as tooz does, and ignores it", async () => {
    for (const executor of ['threaded', 'thread', 'threading', 'synchronous', 'sync']) {
      const c = await connect(`file://${directory}?executor=${executor}&timeout=10`, { memberId: `exec-${executor}` });
      open.push(c);
      expect(c.driver.description).toBe(`file://${directory}`);
      await (await c.acquire('by-url')).release();
    }
  });

  it('fails to connect with a clear, final error when the directory cannot be used', async () => {
    const blocker = join(sandbox, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const error = await connect(file({ directory: join(blocker, 'sub') }), { memberId: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
  });
});

describe('ids that look like paths', () => {
  const hostile = ['../escape', '../../etc/passwd', '/etc/passwd', 'a/b/c', '.', '..', '.driver_lock', 'groups', 'tmp'];
  const more = ['~0123', '.leaders', '\u0000nul', 'x'.repeat(1024), 'é 😀 中文'];

  it('never writes outside the directory, whatever the lock, group or member id', async () => {
    const outside = tree(sandbox).filter((path) => !path.startsWith('coordination'));
    for (const id of [...hostile, ...more]) {
      const c = await connect(file({ directory }), { memberId: id });
      open.push(c);
      await (await c.acquire(id)).release();
      await c.group(id).create();
      const membership = c.group(id).join({ id }).subscribe();
      expect((await c.group(id).members()).get(id)).toEqual({ id });
      const leading = c.leadership(id).subscribe();
      await c.leadership(id).whenLeading();
      leading.unsubscribe();
      membership.unsubscribe();
    }
    expect(tree(sandbox).filter((path) => !path.startsWith('coordination'))).toEqual(outside);
    // Everything sits in the namespace's directory, at most two levels down.
    for (const path of tree(directory)) {
      expect(path.startsWith('tooz')).toBe(true);
      expect(path.split('/').length).toBeLessThanOrEqual(4);
    }
  });

  it('does not follow a symlink planted where a lock file would be', async () => {
    const target = join(sandbox, 'precious');
    writeFileSync(target, 'keep me');
    mkdirSync(join(directory, 'tooz'), { recursive: true });
    symlinkSync(target, join(directory, 'tooz', 'planted'));
    const c = await connect(file({ directory }), { memberId: 'symlink' });
    open.push(c);
    const error = await c.acquire('planted', { wait: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });

  it('keeps locks and leader seats of the same name apart', async () => {
    const c = await connect(file({ directory }), { memberId: 'kinds' });
    open.push(c);
    const lease = await c.acquire('same-name');
    const leading = c.leadership('same-name').subscribe();
    await c.leadership('same-name').whenLeading();
    leading.unsubscribe();
    await lease.release();
  });
});
