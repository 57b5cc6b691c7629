/**
 * `str(obj)` as Python 3 writes it, for the values that have a Python
 * counterpart: Python tooz places an object on the ring by the UTF-8 bytes
 * of `str(obj)`, so these place exactly as a Python service's do.
 * - booleans: `True`, `False`; `null` and `undefined`: `None`;
 * - a safe integer (or a bigint) as Python's `int`: `2`, `-7`;
 * - any other number as Python's `float` repr: `2.5`, `1e-07`, `1e+22`, `nan`,
 *   `inf` (JavaScript cannot tell `2.0` from `2`: a whole float of Python's
 *   places like its int only when written as a bigint or a string);
 * - a Uint8Array as Python's `bytes` repr: `b'ab\x00'`.
 * Strings are themselves. Returns undefined for anything else (objects,
 * arrays), which have no Python equivalent.
 */
export function pythonStr(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'undefined':
      return 'None';
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isSafeInteger(value) ? String(value) : pythonFloat(value);
    default:
      if (value === null) return 'None';
      if (value instanceof Uint8Array) return pythonBytes(value);
      return undefined;
  }
}

/** Python's `repr(float)`: the shortest digits that round-trip, fixed for exponents -4..15, else `1.5e+300`. */
function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  // toExponential() with no argument gives the shortest round-tripping digits, as Python's repr does.
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/** Python's `repr(bytes)`: single quotes unless the bytes hold a ' and no ", printable ASCII as is. */
function pythonBytes(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `b${quote}${out}${quote}`;
}
