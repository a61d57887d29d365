import type { JsonSchema, JsonSchemaIssue } from '@troupe/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Checks arguments against one tool's schema: no issues means valid. */
export type Validate = (input: unknown) => readonly JsonSchemaIssue[];

/** At most this many issues reach the model: a deeply wrong call must not flood its context. */
const MAX_ISSUES = 20;

// strict: false because server schemas carry keywords ajv does not know (titles of their own,
// vendor `x-` keys); formats are not checked (ajv-formats is not a dependency; the server checks
// its own); allErrors so the model can fix every problem in one retry.
const AJV_OPTIONS = {
  strict: false,
  allErrors: true,
  validateFormats: false,
  validateSchema: false,
  logger: false,
} as const;

type AnyAjv = Ajv | Ajv2019 | Ajv2020;

/**
 * Compiles tool schemas, one ajv instance per draft. An instance lives as long as one tool list:
 * ajv keeps every compiled schema (and refuses a second schema with the same `$id`), so a new
 * list gets new instances and the old validators go with the old tools.
 */
export class SchemaCompiler {
  #instances = new Map<string, AnyAjv>();

  /** A validator for `schema`, compiled now. Throws when ajv cannot compile it. */
  compile(schema: JsonSchema): Validate {
    const check = this.#ajvFor(schema.$schema).compile(schema) as ValidateFunction;
    return (input) => (check(input) ? [] : issuesOf(check.errors));
  }

  #ajvFor(draft: unknown): AnyAjv {
    const kind =
      typeof draft !== 'string'
        ? 'draft-07'
        : draft.includes('2020-12')
          ? '2020-12'
          : draft.includes('2019-09')
            ? '2019-09'
            : 'draft-07';
    let ajv = this.#instances.get(kind);
    if (ajv === undefined) {
      ajv =
        kind === '2020-12'
          ? new Ajv2020(AJV_OPTIONS)
          : kind === '2019-09'
            ? new Ajv2019(AJV_OPTIONS)
            : new Ajv(AJV_OPTIONS);
      this.#instances.set(kind, ajv);
    }
    return ajv;
  }
}

function issuesOf(errors: readonly ErrorObject[] | null | undefined): JsonSchemaIssue[] {
  const issues: JsonSchemaIssue[] = [];
  for (const error of errors ?? []) {
    if (issues.length === MAX_ISSUES) break;
    issues.push({ path: pathOf(error.instancePath), message: messageOf(error) });
  }
  if (issues.length === 0) issues.push({ path: [], message: 'does not match the schema' });
  return issues;
}

/** `/items/0/id` (a JSON Pointer) -> ['items', 0, 'id']. */
function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}

function messageOf(error: ErrorObject): string {
  const message = error.message ?? `fails "${error.keyword}"`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string')
    return `${message}: "${params.additionalProperty}"`;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues))
    return `${message}: ${JSON.stringify(params.allowedValues)}`;
  return message;
}
