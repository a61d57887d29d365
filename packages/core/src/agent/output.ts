import { z } from 'zod';
import { invalidArgument } from '../errors.js';
import type { ChatMessage, JsonSchema, ResponseFormat } from '../model.js';

/** An agent's structured output: the schema, its JSON Schema for providers, the repair budget. */
export interface OutputSpec {
  readonly schema: z.ZodType;
  readonly retries: number;
  readonly format: ResponseFormat;
}

/** Default `outputRetries`: answers that may be sent back for repair before the run fails. */
export const DEFAULT_OUTPUT_RETRIES = 2;

function isZod4(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/**
 * Checks an `output` schema once, at `defineAgent`, and converts it for providers (a name made of
 * the agent's, as providers require letters, digits, `_` and `-`).
 */
export function outputSpec(agent: string, schema: unknown, retries: unknown): OutputSpec {
  if (!isZod4(schema)) {
    throw invalidArgument('output must be a zod 4 schema (zod 3 schemas are not supported)', {
      name: agent,
    });
  }
  const count = retries ?? DEFAULT_OUTPUT_RETRIES;
  if (!(typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 && count <= 100)) {
    throw invalidArgument('outputRetries must be an integer from 0 to 100', {
      name: agent,
      outputRetries: retries,
    });
  }
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw invalidArgument(
      `output schema cannot be expressed as JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
      { name: agent },
    );
  }
  const { $schema: _dialect, ...rest } = json;
  const name = agent.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output';
  return Object.freeze({
    schema,
    retries: count,
    format: Object.freeze({
      type: 'json_schema',
      name,
      schema: Object.freeze(rest) as JsonSchema,
    }) as ResponseFormat,
  });
}

/** What a final answer's check found. */
export type OutputCheck =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: string };

const FENCED = /^```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/;

/**
 * Parses a final answer as JSON and checks it against the schema. A single fenced code block
 * around the JSON (models often add one) is accepted.
 */
export function checkOutput(spec: OutputSpec, text: string): OutputCheck {
  const trimmed = text.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the answer is not valid JSON' };
  }
  const result = spec.schema.safeParse(parsed);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: z.prettifyError(result.error) };
}

/** The message that sends a malformed answer back to the model. */
export function repairMessage(problem: string): ChatMessage {
  return {
    role: 'user',
    content: `Your answer must be JSON matching the required schema, and it is not: ${problem}\nAnswer again with only the corrected JSON.`,
  };
}
