import { type ConnectOptions, InvalidArgumentError } from '@tooz/core';
import { parseDuration } from './durations.js';

/** The options every command takes: where to connect and how (every option of `connect()`). */
export interface GlobalOptions {
  readonly url?: string;
  readonly namespace?: string;
  readonly memberId?: string;
  readonly ttl?: string;
  readonly lockTtl?: string;
  readonly membershipTtl?: string;
  readonly leaderTtl?: string;
  readonly retryDelay?: string;
  readonly maxRetryDelay?: string;
  readonly standDownGrace?: string;
  /** `key=value` pairs for the driver, as in the URL's query. */
  readonly option?: readonly string[];
  readonly quiet?: boolean;
}

/** The core options given as durations, with the flag each comes from. */
const DURATIONS = [
  ['ttl', '--ttl'],
  ['lockTtl', '--lock-ttl'],
  ['membershipTtl', '--membership-ttl'],
  ['leaderTtl', '--leader-ttl'],
  ['retryDelay', '--retry-delay'],
  ['maxRetryDelay', '--max-retry-delay'],
  ['standDownGrace', '--stand-down-grace'],
] as const;

/**
 * What `connect(url, options)` is called with. Driver options (`-o k=v`)
 * are appended to the URL's query, so they mean exactly what they would
 * mean written there (a bare number is seconds, tooz's names work).
 */
export function connectArguments(globals: GlobalOptions): { url: string; options: ConnectOptions } {
  if (!globals.url) {
    throw new InvalidArgumentError('--url', 'is required (or set TOOZ_URL), e.g. --url redis://127.0.0.1:6379');
  }
  const options: Record<string, unknown> = {};
  if (globals.namespace !== undefined) options['namespace'] = globals.namespace;
  if (globals.memberId !== undefined) options['memberId'] = globals.memberId;
  for (const [key, flag] of DURATIONS) {
    const text = globals[key];
    if (text !== undefined) options[key] = parseDuration(text, flag);
  }
  return { url: withDriverOptions(globals.url, globals.option ?? []), options };
}

function withDriverOptions(url: string, pairs: readonly string[]): string {
  if (pairs.length === 0) return url;
  const query = new URLSearchParams();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new InvalidArgumentError('--option', `"${pair}" is not key=value`);
    query.append(pair.slice(0, equals), pair.slice(equals + 1));
  }
  const hash = url.indexOf('#');
  const [base, fragment] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  return `${base}${base.includes('?') ? '&' : '?'}${query.toString()}${fragment}`;
}
