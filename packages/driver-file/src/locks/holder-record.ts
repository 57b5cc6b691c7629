import { readSync } from 'node:fs';
import type { LockHolder } from '@tooz/core/driver';
import type { Observable } from 'rxjs';
import type { NativeAddon } from '../native.js';
import type { SessionEnv } from '../session.js';
import { AGAIN, syncAttempts } from '../sync-call.js';
import type { LockFiles } from './lock-files.js';

/** token (u64) | id length (u32) | id (UTF-8) | token again: written by the addon's acquire() in one pwrite. */
const MAX_RECORD = 8 + 4 + 4096 + 8;
/** How many times to look (1 ms apart) while a new holder finishes writing its record. */
const PUBLISH_TRIES = 50;

/** The holder record of a fence file, or undefined if it is missing or torn (a write in progress). */
function readRecord(fenceFd: number): LockHolder | undefined {
  const buffer = Buffer.allocUnsafe(MAX_RECORD);
  const length = readSync(fenceFd, buffer, 0, MAX_RECORD, 0);
  if (length < 20) return undefined;
  const token = buffer.readBigUInt64BE(0);
  const idLength = buffer.readUInt32BE(8);
  if (12 + idLength + 8 > length) return undefined;
  if (buffer.readBigUInt64BE(12 + idLength) !== token) return undefined;
  return { memberId: buffer.toString('utf8', 12, 12 + idLength), token };
}

export type HolderState =
  | { readonly kind: 'free' }
  | { readonly kind: 'held'; readonly holder: LockHolder }
  /** Taken a moment ago; the new holder is still writing its record. */
  | { readonly kind: 'publishing' };

/**
 * Who holds a lock file. Byte 1 is held while the holder's record is written,
 * so a free byte 1 under a held byte 0 means the record is complete. A POSIX
 * lock (Python tooz) has no record: it is named by its process id.
 */
function holderState(addon: NativeAddon, lockFd: number, fenceFd: number): HolderState {
  const holder = addon.probe(lockFd, 0, 1);
  if (holder === 0) return { kind: 'free' };
  if (holder > 0) return { kind: 'held', holder: { memberId: `posix-lock:pid=${holder}`, token: 0n } };
  if (addon.probe(lockFd, 1, 1) !== 0) return { kind: 'publishing' };
  const record = readRecord(fenceFd);
  return record ? { kind: 'held', holder: record } : { kind: 'publishing' };
}

/**
 * Who holds a key now. A leader seat's new holder keeps byte 1 while it
 * writes its record (a few microseconds, unless it is stopped right there):
 * meanwhile this looks again a bounded number of times, then answers
 * `publishing`.
 */
export function lookUpHolder(env: SessionEnv, files: LockFiles): Observable<HolderState> {
  const look = (): HolderState | typeof AGAIN => {
    const fd = files.take();
    try {
      const state = holderState(env.addon, fd, files.fence());
      return state.kind === 'publishing' ? AGAIN : state;
    } finally {
      files.give(fd);
    }
  };
  return syncAttempts(env.scheduler, PUBLISH_TRIES, look, () => ({ kind: 'publishing' }));
}
