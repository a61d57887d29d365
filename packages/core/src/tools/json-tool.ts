import { z } from 'zod';
import type { MaybePromise } from '../backend/interfaces.js';
import { invalidArgument } from '../errors.js';
import type { JsonSchema } from '../model.js';
import { defineTool, type Tool, type ToolContext } from './define-tool.js';

/**
 * One way the model's arguments break a JSON tool's schema: where (property names and array
 * indexes from the root of the arguments) and what.
 *
 * @example
 * ```ts
 * const issue: JsonSchemaIssue = { path: ['items', 0, 'id'], message: 'must be string' };
 * ```
 */
export interface JsonSchemaIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The arguments of a JSON tool: the object the model sent, once its schema accepts it. */
export type JsonToolArguments = Readonly<Record<string, unknown>>;

/** The input schema of a JSON tool: a zod schema that runs the tool's own validator. */
export type JsonToolInput = z.ZodType<JsonToolArguments>;

/**
 * What {@link defineJsonTool} takes: a tool described by a JSON Schema instead of a zod schema
 * (tools from MCP servers, OpenAPI operations, schemas stored as data).
 *
 * @example
 * ```ts
 * const options: JsonToolOptions = { name, description, jsonSchema, validate, run };
 * ```
 */
export interface JsonToolOptions {
  /** 1-64 characters of `[a-zA-Z0-9_-]`: what the model calls it. */
  readonly name: string;
  /** What the model reads to decide when to call it. */
  readonly description: string;
  /** The JSON Schema of the arguments (an object schema). Sent to every provider as it is. */
  readonly jsonSchema: JsonSchema;
  /**
   * Checks the model's arguments against `jsonSchema` (with a validator compiled once, such as
   * ajv): no issues means valid. Issues reach the model as the call's error result.
   */
  validate(input: unknown): readonly JsonSchemaIssue[];
  /** Does the work, as a zod tool's `run`; only called with arguments that passed `validate`. */
  run(input: JsonToolArguments, ctx: ToolContext): MaybePromise<unknown>;
  /** Per attempt, on the team's clock. Default 30 s. */
  readonly timeoutMs?: number;
  /** Extra attempts after a throw. Default 0. */
  readonly retries?: number;
}

// Input schema -> the JSON Schema providers get for it. The schema cache consults this before
// asking zod to convert (zod cannot see inside the validator). Weak: a dropped tool frees it.
const rawSchemas = new WeakMap<object, JsonSchema>();

/**
 * The JSON Schema a tool made by {@link defineJsonTool} declared, given its `input`; undefined
 * for zod tools.
 *
 * @example
 * ```ts
 * rawJsonSchemaOf(tool.input) ?? z.toJSONSchema(tool.input);
 * ```
 */
export function rawJsonSchemaOf(input: object): JsonSchema | undefined {
  return rawSchemas.get(input);
}

function isPlainObject(value: unknown): value is JsonToolArguments {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Defines a tool whose arguments are described by a JSON Schema. The schema goes to providers
 * as it is (no zod conversion, the same in every tool format); `validate` checks the model's
 * arguments before `run`, and its issues become the error result the model sees, like a zod
 * tool's validation error. Everything else (timeouts, retries, errors as results, context
 * updates with `toolResult`) is as for {@link defineTool}.
 *
 * @example
 * ```ts
 * import Ajv from 'ajv';
 * import { defineJsonTool } from '@troupe/core';
 *
 * const jsonSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
 * const check = new Ajv().compile(jsonSchema);
 * const weather = defineJsonTool({
 *   name: 'weather',
 *   description: 'Weather in a city',
 *   jsonSchema,
 *   validate: (input) =>
 *     check(input) ? [] : (check.errors ?? []).map((e) => ({ path: [e.instancePath], message: e.message ?? 'invalid' })),
 *   run: ({ city }) => `Sunny in ${String(city)}`,
 * });
 * ```
 */
export function defineJsonTool(options: JsonToolOptions): Tool<JsonToolInput> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const { jsonSchema, validate } = options;
  if (!isPlainObject(jsonSchema)) {
    throw invalidArgument('jsonSchema must be a JSON Schema object', { name: options.name });
  }
  if (typeof validate !== 'function') {
    throw invalidArgument('validate must be a function', { name: options.name });
  }
  const input: JsonToolInput = z
    .custom<JsonToolArguments>(isPlainObject, { message: 'Tool arguments must be a JSON object' })
    .superRefine((value, ctx) => {
      for (const issue of validate(value)) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
      }
    });
  rawSchemas.set(input, jsonSchema);
  return defineTool({
    name: options.name,
    description: options.description,
    input,
    run: options.run,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  });
}
