import { type Backoff, sleep } from '@tooz/core/driver';
import { Observable } from 'rxjs';
import type { ConsulApi } from './api.js';
import { statusError } from './errors.js';
import { kvPath } from './keys.js';

/** One KV entry as Consul's JSON gives it (`Value` base64 or null). */
export interface KvEntry {
  readonly Key: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex: number;
  readonly Flags: number;
  readonly Value: string | null;
  readonly Session?: string;
}

/** What a key or prefix holds at one X-Consul-Index. */
export interface KvSnapshot {
  readonly index: number;
  readonly entries: ReadonlyMap<string, KvEntry>;
  /**
   * True when changes may have been missed before this snapshot (the first
   * read, a read after an error, an index that went backwards): readers
   * re-read rather than trust a diff.
   */
  readonly fresh: boolean;
}

/** Reads a key (or a prefix, `recurse`) once: the entries and the index; 404 is an empty result. */
export async function readKv(
  api: ConsulApi,
  key: string,
  recurse: boolean,
  what: string,
  blocking?: { index: number; wait: number; signal: AbortSignal },
): Promise<{ index: number; entries: KvEntry[] }> {
  const query: Record<string, string> = recurse ? { recurse: 'true' } : {};
  let timeout: number | undefined;
  if (blocking && blocking.index > 0) {
    query.index = String(blocking.index);
    query.wait = `${Math.ceil(blocking.wait / 1000)}s`;
    // Consul adds up to wait/16 to spread wake-ups.
    timeout = blocking.wait + blocking.wait / 16 + api.requestTimeout;
  }
  const reply = await api.request('GET', kvPath(key), what, { query, timeout, signal: blocking?.signal });
  if (reply.status !== 200 && reply.status !== 404) throw statusError(reply.status, reply.body.toString('utf8'), what);
  const entries = reply.status === 200 ? (JSON.parse(reply.body.toString('utf8')) as KvEntry[]) : [];
  // An index below 1 would make the next blocking query return at once, forever (Consul's blocking-query notes).
  return { index: Math.max(1, reply.index ?? 1), entries };
}

/**
 * A key or prefix watched through Consul's blocking queries
 * (https://developer.hashicorp.com/consul/api-docs/features/blocking):
 * each answer is a full snapshot, asked again with its X-Consul-Index. An
 * index that goes backwards (a restore, a restart without data, a reaped
 * tombstone) resets the loop to 0; an error waits the user's backoff, then
 * reads afresh. No timer polls: a quiet key costs one request per `wait`.
 */
export function kvWatch(api: ConsulApi, key: string, recurse: boolean, wait: number, backoff: Backoff) {
  return new Observable<KvSnapshot>((subscriber) => {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let index = 0;
      let fresh = true;
      while (!signal.aborted) {
        try {
          const read = await readKv(api, key, recurse, 'watch', { index, wait, signal });
          if (signal.aborted) return;
          const wentBack = read.index < index;
          subscriber.next({
            index: read.index,
            entries: new Map(read.entries.map((entry) => [entry.Key, entry])),
            fresh: fresh || wentBack,
          });
          fresh = false;
          index = wentBack ? 0 : read.index;
          backoff.reset();
        } catch {
          if (signal.aborted) return;
          index = 0;
          fresh = true;
          await sleep(backoff.next(), api.scheduler);
        }
      }
    })();
    return () => controller.abort();
  });
}

export const decodeValue = (entry: KvEntry | undefined): Buffer =>
  entry?.Value ? Buffer.from(entry.Value, 'base64') : Buffer.alloc(0);
