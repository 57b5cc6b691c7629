const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string can be encoded as UTF-8 (no lone surrogate halves). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
