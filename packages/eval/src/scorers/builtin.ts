import { invalidArgument } from '@troupe/core';
import type { Scorer, ScorerInput } from '../types.js';

/** The output as text: strings as they are, anything else as JSON. */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '';
  return JSON.stringify(output);
}

function normalise(text: string, o: { trim: boolean; ignoreCase: boolean }): string {
  const t = o.trim ? text.trim() : text;
  return o.ignoreCase ? t.toLowerCase() : t;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Options of the text scorers.
 *
 * @example
 * ```ts
 * const options: TextScorerOptions = { ignoreCase: true };
 * ```
 */
export interface TextScorerOptions {
  /** Scorer name in results (default the scorer's own: `exact`, `includes`). */
  readonly name?: string;
  /** Compare trimmed text (default true). */
  readonly trim?: boolean;
  /** Compare case-insensitively (default false). */
  readonly ignoreCase?: boolean;
}

function textOptions(kind: string, options: TextScorerOptions | undefined) {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidArgument(`${kind}(options): options must be an object`);
  for (const key of Object.keys(options ?? {}))
    if (!['name', 'trim', 'ignoreCase'].includes(key))
      throw invalidArgument(`${kind}(options): unknown option "${key}"`);
  const name = options?.name ?? kind;
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument(`${kind}(options): name must be a non-empty string`);
  for (const key of ['trim', 'ignoreCase'] as const)
    if (options?.[key] !== undefined && typeof options[key] !== 'boolean')
      throw invalidArgument(`${kind}(options): ${key} must be a boolean`);
  return { name, trim: options?.trim ?? true, ignoreCase: options?.ignoreCase ?? false };
}

/**
 * 1 when the output equals the task's `expected` (text compared trimmed; structured values
 * by their JSON), else 0.
 *
 * @example
 * ```ts
 * const suite = defineSuite({ name: 's', dataset, team, scorers: [exact({ ignoreCase: true })] });
 * ```
 */
export function exact(options?: TextScorerOptions): Scorer {
  const o = textOptions('exact', options);
  return {
    name: o.name,
    score: ({ output, expected }: ScorerInput) => {
      if (typeof expected === 'string')
        return normalise(outputText(output), o) === normalise(expected, o) ? 1 : 0;
      return sameValue(output, expected) ? 1 : 0;
    },
  };
}

/**
 * 1 when the output's text contains the task's `expected` text (or every one of an array of
 * them), else 0.
 *
 * @example
 * ```ts
 * includes({ ignoreCase: true }); // 'The capital is Paris.' includes 'paris'
 * ```
 */
export function includes(options?: TextScorerOptions): Scorer {
  const o = textOptions('includes', options);
  return {
    name: o.name,
    score: ({ output, expected }: ScorerInput) => {
      const text = normalise(outputText(output), o);
      const wanted = Array.isArray(expected) ? expected : [expected];
      const missing = wanted.filter((w) => !text.includes(normalise(outputText(w), o)));
      return missing.length === 0 ? 1 : { score: 0, note: `missing ${JSON.stringify(missing)}` };
    },
  };
}

/**
 * 1 when the output's text matches `pattern`, else 0.
 *
 * @example
 * ```ts
 * regex(/\b\d{4}\b/, { name: 'has-year' });
 * ```
 */
export function regex(pattern: RegExp | string, options?: { readonly name?: string }): Scorer {
  let re: RegExp;
  try {
    re = typeof pattern === 'string' ? new RegExp(pattern) : pattern;
  } catch (error) {
    throw invalidArgument(`regex(pattern): ${(error as Error).message}`);
  }
  if (!(re instanceof RegExp))
    throw invalidArgument('regex(pattern): pattern must be a RegExp or a string');
  const name = options?.name ?? 'regex';
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument('regex(options): name must be a non-empty string');
  // A global or sticky RegExp keeps lastIndex between tests: use a fresh copy for each.
  const source = re.source;
  const flags = re.flags.replace(/[gy]/g, '');
  return {
    name,
    score: ({ output }) => (new RegExp(source, flags).test(outputText(output)) ? 1 : 0),
  };
}

/** The part of a zod schema this scorer uses (any zod 4 schema has it). */
export interface SafeParser {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
  };
}

/**
 * 1 when the output (parsed from JSON when it is text) matches the zod schema, else 0 with
 * the first issue as the note.
 *
 * @example
 * ```ts
 * jsonSchema(z.object({ city: z.string(), population: z.number().int() }));
 * ```
 */
export function jsonSchema(schema: SafeParser, options?: { readonly name?: string }): Scorer {
  if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function')
    throw invalidArgument('jsonSchema(schema): schema must be a zod schema');
  const name = options?.name ?? 'jsonSchema';
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument('jsonSchema(options): name must be a non-empty string');
  return {
    name,
    score: ({ output }) => {
      let value = output;
      if (typeof output === 'string') {
        try {
          value = JSON.parse(output);
        } catch {
          return { score: 0, note: 'the output is not JSON' };
        }
      }
      const parsed = schema.safeParse(value);
      if (parsed.success) return 1;
      const issue = parsed.error?.issues[0];
      return {
        score: 0,
        note: issue
          ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`
          : 'no match',
      };
    },
  };
}
