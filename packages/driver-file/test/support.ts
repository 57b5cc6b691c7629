import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from '@tooz/core';
import { type FileSession, file, type fileCapabilities } from '@tooz/driver-file';
import { from, tap } from 'rxjs';
import { afterAll } from 'vitest';
import { native } from '../src/native.js';

/** A fresh directory for this test file, removed after it. */
export function scratchDirectory(label: string): string {
  const directory = mkdtempSync(join(tmpdir(), `tooz-file-${label}-`));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** The file driver, keeping each coordinator's session so that a test can end it as its process's death would. */
export function crashableFile(directory: string) {
  const sessions = new Map<string, FileSession>();
  const base = file({ directory });
  const driver: Driver<typeof fileCapabilities> = {
    ...base,
    open: (context) => from(base.open(context)).pipe(tap((s) => sessions.set(context.memberId, s as FileSession))),
  };
  return { driver, crash: (memberId: string) => sessions.get(memberId)?.simulateCrash() };
}

/**
 * Whether someone waits for the lock `name` (in the default namespace):
 * waiters register with a shared lock on its fence file before they sleep.
 */
export function hasWaiter(directory: string, name: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(directory, 'tooz', `.${name}.fence`), 'r');
  } catch {
    return false;
  }
  try {
    return native().probe(fd, 0, 1) === -2;
  } finally {
    closeSync(fd);
  }
}
