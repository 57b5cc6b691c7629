import { type ConnectionUrl, type Driver, parseConnectionUrl } from '@tooz/core';
import { redisCapabilities } from './capabilities.js';
import { parseDriverOptions, type RedisDriverOptions, type ResolvedOptions } from './options.js';
import { RedisSession } from './session.js';
import { optionsFromUrl } from './url.js';

function where(options: ResolvedOptions): string {
  if (options.sentinels) {
    return `sentinels ${options.sentinels.map((s) => `${s.host}:${s.port ?? 26379}`).join(',')} (${options.sentinelMaster})`;
  }
  return options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

/** The URL these options amount to, without credentials. */
function describe(options: ResolvedOptions): string {
  const db = options.db === 0 ? '' : `/${options.db}`;
  if (options.sentinels) {
    const hosts = options.sentinels.map((s) => `${s.host}:${s.port ?? 26379}`).join(',');
    return `redis+sentinel://${hosts}/${options.sentinelMaster}${db}`;
  }
  const scheme = options.tls ? 'rediss' : 'redis';
  if (options.path) return `${scheme}://${options.path}`;
  return `${scheme}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}${db}`;
}

function build(options: ResolvedOptions, description: string): Driver<typeof redisCapabilities> {
  const address = where(options);
  return {
    capabilities: redisCapabilities,
    description,
    open: (context) => RedisSession.open(options, address, context),
  };
}

/**
 * A Redis driver object, for `connect(redis({...}))`: the coordinator's
 * type then lists exactly what Redis offers. `url` may stand in for the
 * address (the same forms `connect('redis://...')` takes).
 *
 * @example
 * const coordinator = await connect(redis({ host: '127.0.0.1', port: 6379 }), { memberId: 'api-7' });
 */
export function redis(options: RedisDriverOptions & { readonly url?: string } = {}): Driver<typeof redisCapabilities> {
  const { url, ...rest } = options;
  if (url !== undefined) {
    const parsed = parseConnectionUrl(url);
    return build(
      parseDriverOptions({ ...optionsFromUrl(parsed, Object.fromEntries(parsed.params)), ...rest }, 's'),
      parsed.redacted,
    );
  }
  const resolved = parseDriverOptions(rest);
  return build(resolved, describe(resolved));
}

/** For `connect('redis://...')`; query values arrive as strings (a bare duration means seconds, as in tooz). */
export function fromUrl(
  url: ConnectionUrl,
  options: Readonly<Record<string, unknown>>,
): Driver<typeof redisCapabilities> {
  return build(parseDriverOptions(optionsFromUrl(url, options), 's'), url.redacted);
}
