import { invalidArgument } from '@troupe/core';
import { checkOptionNames } from '@troupe/core/backend';
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

/**
 * {@link parseOptions} for an options object: first refuses a name the schema does not know
 * (nor `extra`), naming it, with the check every Troupe factory shares, so a misspelt option
 * is never ignored.
 */
export function parseStrictOptions<S extends z.ZodObject>(
  schema: S,
  value: unknown,
  what: string,
  extra: readonly string[] = [],
): z.output<S> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const allowed = new Set([...Object.keys(schema.shape), ...extra]);
    checkOptionNames(value as Record<string, unknown>, allowed, 'known', what);
  }
  return parseOptions(schema, value, what);
}
