const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string can be encoded as UTF-8 (no lone surrogate halves). */
// Node 20+ has String.prototype.isWellFormed (ES2024); the pattern is for runtimes without it. Every id is checked.
const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

export function isWellFormed(text: string): boolean {
  return native ? native.call(text) : !LONE_SURROGATE.test(text);
}
