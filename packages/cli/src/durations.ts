import { InvalidArgumentError } from '@tooz/core';
import { duration } from '@tooz/core/driver';

const SECONDS_IF_BARE = duration('s');

/**
 * A duration given on the command line, in ms: `500ms`, `30s`, `2m`, `1h`;
 * a bare number means seconds, as in URLs and in flock(1)'s `-w`.
 * InvalidArgumentError names the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const parsed = SECONDS_IF_BARE.safeParse(text);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      flag,
      `"${text}" is not a duration (examples: 500ms, 30s, 2m; a bare number is seconds)`,
    );
  }
  return parsed.data;
}
