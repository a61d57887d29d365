import { StringDecoder } from 'node:string_decoder';
import type { JsonSchema, ModelUsage, ToolSpec } from '@troupe/core';
import type { Pricing } from '../pricing.js';
import { costOf } from '../pricing.js';
import { malformedResponse } from './failure.js';
import type { Body } from './response-body.js';
import type { SseEvent } from './sse.js';
import { SseParser } from './sse.js';

/**
 * Reads a body as SSE, calling `onEvent` for each event as it completes. A stream that ends in
 * the middle of an event is malformed.
 *
 * When `onEvent` returns `true` the answer is whole (`[DONE]`, `message_stop`): reading
 * resolves at once, even if the server keeps the connection open. The rest of the body is
 * drained in the background (so a well-behaved server's socket goes back to the pool); a server
 * that never ends it is cut off by the idle watchdog.
 */
export function readSse(
  body: Body,
  provider: string,
  onEvent: (event: SseEvent) => boolean | undefined,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const parser = new SseParser();
  let finished = false;
  let complete: () => void = () => {};
  const completed = new Promise<void>((resolve) => {
    complete = resolve;
  });
  const emit = (event: SseEvent): void => {
    if (finished) return;
    if (onEvent(event) === true) {
      finished = true;
      complete();
    }
  };
  const reading = body
    .each((chunk) => {
      if (!finished) parser.push(decoder.write(chunk), emit);
    })
    .then(() => {
      if (finished) return;
      // A last line without its newline is still a line.
      parser.push(`${decoder.end()}\n`, emit);
      if (parser.pending)
        throw malformedResponse(`${provider} stream ended in the middle of an event`);
    });
  const whole = completed.then(() => {
    // The answer is complete: whatever the body does now concerns only its socket.
    reading.catch(() => {});
  });
  return Promise.race([reading, whole]);
}

/** Parses a JSON payload from the server; bad JSON is a malformed response. */
export function parseJson(text: string, provider: string, requestId: string | undefined): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw malformedResponse(`${provider} sent malformed JSON: ${(error as Error).message}`, {
      ...(requestId === undefined ? {} : { requestId }),
      sample: text.slice(0, 200),
    });
  }
}

/**
 * Tool arguments as the model sent them: parsed JSON, `{}` for nothing, or the raw text when
 * it is not JSON, so the tool's own validation reports the problem to the model.
 */
export function parseToolArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Fills `costUsd` from the pricing table, when there is one. */
export function priced(usage: ModelUsage, pricing: Pricing | undefined): ModelUsage {
  return pricing === undefined ? usage : { ...usage, costUsd: costOf(usage, pricing) };
}

/** A plain-object view of unknown JSON, for defensive field access. */
export type Json = { readonly [key: string]: unknown };

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Pulls `{ error: { message, type, code } }` (both providers' shape; vLLM and others put the
 * same object at the top level) out of an error body.
 */
export function describeErrorBody(text: string): { message: string; type?: string; code?: string } {
  try {
    const payload = asObject(JSON.parse(text));
    const error = asObject(payload?.error) ?? payload;
    const message =
      asString(error?.message) ?? asString(payload?.error) ?? asString(payload?.detail);
    const type = asString(error?.type) ?? asString(error?.code);
    const code = asString(error?.code);
    if (message !== undefined) {
      const out: { message: string; type?: string; code?: string } = { message };
      if (type !== undefined) out.type = type;
      if (code !== undefined) out.code = code;
      return out;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return { message: text.trim().slice(0, 500) || '(empty body)' };
}

/**
 * A tool's parameters as sent on the wire: without a top-level `$schema` (zod's draft 2020-12
 * output names one; some OpenAI-compatible servers refuse unknown keywords there).
 */
export function wireParameters(parameters: JsonSchema): JsonSchema {
  if (!('$schema' in parameters)) return parameters;
  const { $schema: _, ...rest } = parameters;
  return rest;
}

/**
 * Maps a tool list once per list: the agent runtime passes the same frozen list every turn, so
 * the wire form is cached by its identity (weakly: a dropped list frees its entry).
 */
export function toolCache<T>(
  map: (tool: ToolSpec) => T,
): (tools: readonly ToolSpec[]) => readonly T[] {
  const cache = new WeakMap<readonly ToolSpec[], readonly T[]>();
  return (tools) => {
    let wire = cache.get(tools);
    if (wire === undefined) {
      wire = tools.map(map);
      cache.set(tools, wire);
    }
    return wire;
  };
}
