import { InvalidArgumentError } from '@tooz/core';
import { expect } from 'vitest';

/** Runs `fn`, expecting an InvalidArgumentError; returns it for further checks. */
export function invalid(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}
