/** Builders of memcached meta commands (memcached ≥ 1.6), the only requests this driver writes besides stats. */

/** Seconds to ask memcached for, so that it never frees a key before `ttl` ms have passed (its clock ticks in whole seconds). */
export function serverTtl(ttl: number): number {
  return Math.ceil(ttl / 1000) + 1;
}

const line = (parts: readonly (string | number | undefined)[]) =>
  parts.filter((part) => part !== undefined && part !== '').join(' ');

/**
 * `ms`: store `value`. `mode` E = add (only if absent), S = set; `cas` makes it compare-and-set;
 * `ttl` in ms (rounded up, see serverTtl), 0 for none. Always returns the new CAS (`c`).
 */
export function metaSet(
  key: string,
  value: Buffer,
  options: { readonly mode?: 'E' | 'S'; readonly cas?: bigint; readonly ttl?: number },
): Buffer {
  const ttl = options.ttl ? `T${serverTtl(options.ttl)}` : undefined;
  const head = line([
    'ms',
    key,
    value.length,
    ttl,
    'F1',
    options.mode === 'E' ? 'ME' : undefined,
    options.cas === undefined ? undefined : `C${options.cas}`,
    'c',
  ]);
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), value, Buffer.from('\r\n')]);
}

/** `mg`: the value and CAS of a key (`EN` when absent); `ttl` also touches it. */
export function metaGet(key: string, options: { readonly value?: boolean; readonly ttl?: number } = {}): string {
  return `${line(['mg', key, options.value === false ? undefined : 'v', 'c', options.ttl ? `T${serverTtl(options.ttl)}` : undefined])}\r\n`;
}

/** `md`: delete, only if the CAS still matches when one is given. */
export function metaDelete(key: string, cas?: bigint): string {
  return `${line(['md', key, cas === undefined ? undefined : `C${cas}`])}\r\n`;
}
