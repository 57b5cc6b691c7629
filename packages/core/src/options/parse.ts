import type { z } from 'zod';
import { InvalidArgumentError } from '../errors/errors.js';

/** Runs a zod schema and turns its first issue into an InvalidArgumentError naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, root = 'options'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InvalidArgumentError(root, 'is invalid');
  const path = [root, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return raise(
      `${path}.${keys[0] ?? ''}`,
      `is not a known option${keys.length > 1 ? ` (nor ${keys.slice(1).join(', ')})` : ''}`,
    );
  }
  return raise(path, issue.message);
}

function raise(field: string, reason: string): never {
  throw new InvalidArgumentError(field, reason);
}
