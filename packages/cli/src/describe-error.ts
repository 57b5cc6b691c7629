import { redact } from '@tooz/core';

/** One line for people: the error's message and its causes' (client libraries nest the useful part). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return redact(parts.join(': ') || 'unknown error');
}
