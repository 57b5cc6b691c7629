/**
 * Ids as ZooKeeper path segments, reversibly. Printable ASCII other than `/`
 * and `%` is kept as is, so the ids Python tooz stores (ASCII, unescaped)
 * read back unchanged; every other byte of the UTF-8 form becomes `%XX`.
 * ZooKeeper refuses `.`, `..`, control characters and most of the BMP's
 * private and surrogate ranges in paths, and Python tooz decodes path parts
 * as ASCII, so escaping everything outside printable ASCII suits both.
 */
const encoder = new TextEncoder();
const HEX = '0123456789ABCDEF';

function escapeByte(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

function plain(code: number): boolean {
  return code >= 0x20 && code <= 0x7e && code !== 0x2f && code !== 0x25;
}

/**
 * Escapes one id; `reserved` names (nodes of the layout living beside ids)
 * get their first character escaped so they never meet a real id.
 */
export function escapeSegment(id: string, reserved: readonly string[] = []): string {
  let out = '';
  let simple = true;
  for (let i = 0; i < id.length; i++) {
    if (!plain(id.charCodeAt(i))) {
      simple = false;
      break;
    }
  }
  if (simple) out = id;
  else {
    for (const byte of encoder.encode(id)) out += plain(byte) ? String.fromCharCode(byte) : escapeByte(byte);
  }
  if (out === '.' || out === '..' || reserved.includes(out)) {
    out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  }
  return out;
}

/**
 * The id a segment stands for. A name that is not a valid escape (written by
 * something else, e.g. a Python tooz holding a raw `%`) is returned as is.
 */
export function unescapeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
