import { type Capabilities, InvalidArgumentError } from '@tooz/core';

/** `--capabilities '{"weight":2}'`: any JSON value; absent means null, as in `group.join()`. */
export function parseCapabilities(text: string | undefined): Capabilities {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as Capabilities;
  } catch (error) {
    throw new InvalidArgumentError('--capabilities', `is not JSON (${(error as Error).message})`);
  }
}
