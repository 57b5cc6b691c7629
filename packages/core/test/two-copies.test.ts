import { ConnectionError, GroupNotFoundError, isRetryable, isToozError, ToozError } from '@tooz/core';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** A second copy of core's error modules, as npm installs one when a driver resolves its own @tooz/core. */
async function secondCopy(): Promise<typeof import('../src/errors/index.js')> {
  const source = fileURLToPath(new URL('../src/errors/', import.meta.url));
  const copy = fileURLToPath(new URL(`./.errors-copy-${process.pid}/`, import.meta.url));
  cpSync(source, copy, { recursive: true });
  try {
    return await import(/* @vite-ignore */ pathToFileURL(join(copy, 'index.ts')).href);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('errors from another copy of @tooz/core', () => {
  it('keep their class, their code and their retryability', async () => {
    const other = await secondCopy();
    expect(other.GroupNotFoundError).not.toBe(GroupNotFoundError);
    const notFound = new other.GroupNotFoundError('g');
    expect(notFound).toBeInstanceOf(GroupNotFoundError);
    expect(notFound).toBeInstanceOf(ToozError);
    expect(notFound).not.toBeInstanceOf(ConnectionError);
    expect(isToozError(notFound, 'GROUP_NOT_FOUND')).toBe(true);
    expect(isRetryable(notFound)).toBe(false);
    expect(isRetryable(new other.ConnectionError('down'))).toBe(true);
    expect(isRetryable(new other.CoordinatorClosedError())).toBe(false);
    expect(new other.CoordinatorClosedError()).toBeInstanceOf(ConnectionError);
    expect(new Error('plain')).not.toBeInstanceOf(ToozError);
  });
});
