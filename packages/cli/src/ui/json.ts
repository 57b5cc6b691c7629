/**
 * JSON for scripts. Fencing tokens are bigints, which JSON cannot carry
 * exactly as numbers, so they (and any 64-bit integer in capabilities) are
 * written as decimal strings; bytes as `{ "base64": "..." }`.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item instanceof Uint8Array) return { base64: Buffer.from(item).toString('base64') };
    return item;
  });
}
