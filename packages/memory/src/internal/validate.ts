import { invalidArgument } from '@troupe/core';
import type { z } from 'zod';

/**
 * Parses `value` with `schema`, or throws `ERR_INVALID_ARGUMENT` naming the first bad field
 * (`entry.importance: Too big: expected number to be <=1`). `details.field` holds its path.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = path === '' ? what : `${what}.${path}`;
  throw invalidArgument(`${field}: ${issue?.message ?? 'invalid'}`, { field });
}
