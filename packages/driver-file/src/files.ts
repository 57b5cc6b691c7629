import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { isMissing } from './errors.js';

/** Entries inside the directory are never followed if someone made them symlinks: nothing is written elsewhere. */
export const OPEN_RW = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW;
export const OPEN_RO = constants.O_RDONLY | constants.O_NOFOLLOW;
/** As Python's open(): readable and writable by everyone the umask allows, so processes of several users can share. */
export const FILE_MODE = 0o666;

/** Opens read-only; undefined when the file does not exist. */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, OPEN_RO);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** A whole small file, or undefined when it does not exist. */
export function readIfExists(path: string): Buffer | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    return readAll(fd);
  } finally {
    closeSync(fd);
  }
}

export function readAll(fd: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.max(fstatSync(fd).size, 64));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const got = readSync(fd, buffer, length, buffer.length - length, length);
    if (got === 0) return buffer.subarray(0, length);
    length += got;
  }
}

/** Writes `data` to the fresh file `temp`, then renames it over `target`: readers see the old or the new, whole. */
export function writeAtomically(temp: string, target: string, data: Uint8Array): void {
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    FILE_MODE,
  );
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, target);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
}

/** Whether `path` still names the file open as `fd` (it may have been deleted or replaced since it was opened). */
export function stillAt(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = lstatSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed (a crash simulation closed it first): nothing left to release.
  }
}
