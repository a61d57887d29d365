import type { ChatMessage, ContentPart, ModelRequest, ToolSpec } from '@troupe/core';
import { invalidArgument } from '@troupe/core';

// Messages and tool lists are reused turn after turn (the agent appends to one history and
// passes one frozen tool list): each object is checked once, so a long conversation costs its
// new messages per call, not its whole length.
const checkedMessages = new WeakSet<object>();
const checkedTools = new WeakSet<object>();

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function part(value: unknown, where: string): void {
  if (!isObject(value)) throw invalidArgument(`${where} must be an object`);
  const p = value as Partial<ContentPart> & Record<string, unknown>;
  if (p.type === 'text') {
    if (!isString(p.text)) throw invalidArgument(`${where}.text must be a string`);
    return;
  }
  if (p.type !== 'image' && p.type !== 'document')
    throw invalidArgument(`${where}.type must be 'text', 'image' or 'document'`, { type: p.type });
  if (!isString(p.mediaType) || p.mediaType === '')
    throw invalidArgument(`${where}.mediaType must be a non-empty string`);
  const hasData = p.data !== undefined;
  const hasUrl = p.url !== undefined;
  if (hasData === hasUrl) throw invalidArgument(`${where} needs exactly one of data or url`);
  if (hasData && !isString(p.data)) throw invalidArgument(`${where}.data must be a base64 string`);
  if (hasUrl && !isString(p.url)) throw invalidArgument(`${where}.url must be a string`);
  if (p.filename !== undefined && !isString(p.filename))
    throw invalidArgument(`${where}.filename must be a string`);
}

function toolCall(value: unknown, where: string): void {
  if (!isObject(value)) throw invalidArgument(`${where} must be an object`);
  if (!isString(value.id)) throw invalidArgument(`${where}.id must be a string`);
  if (!isString(value.name) || value.name === '')
    throw invalidArgument(`${where}.name must be a non-empty string`);
  if (value.providerData !== undefined && !isObject(value.providerData))
    throw invalidArgument(`${where}.providerData must be an object`);
}

function message(value: unknown, where: string): void {
  if (!isObject(value)) throw invalidArgument(`${where} must be an object`);
  const m = value as Partial<ChatMessage> & Record<string, unknown>;
  if (!isString(m.content)) throw invalidArgument(`${where}.content must be a string`);
  if (m.cache !== undefined && typeof m.cache !== 'boolean')
    throw invalidArgument(`${where}.cache must be a boolean`);
  if (m.role === 'user') {
    if (m.parts !== undefined) {
      if (!Array.isArray(m.parts)) throw invalidArgument(`${where}.parts must be an array`);
      m.parts.forEach((p, i) => {
        part(p, `${where}.parts[${i}]`);
      });
    }
  } else if (m.role === 'assistant') {
    if (m.toolCalls !== undefined) {
      if (!Array.isArray(m.toolCalls)) throw invalidArgument(`${where}.toolCalls must be an array`);
      m.toolCalls.forEach((c, i) => {
        toolCall(c, `${where}.toolCalls[${i}]`);
      });
    }
    if (m.reasoning !== undefined && !isString(m.reasoning))
      throw invalidArgument(`${where}.reasoning must be a string`);
    if (m.providerData !== undefined && !isObject(m.providerData))
      throw invalidArgument(`${where}.providerData must be an object`);
  } else if (m.role === 'tool') {
    if (!isString(m.toolCallId)) throw invalidArgument(`${where}.toolCallId must be a string`);
    if (!isString(m.name)) throw invalidArgument(`${where}.name must be a string`);
    if (m.isError !== undefined && typeof m.isError !== 'boolean')
      throw invalidArgument(`${where}.isError must be a boolean`);
  } else {
    throw invalidArgument(`${where}.role must be 'user', 'assistant' or 'tool'`, { role: m.role });
  }
}

function tools(list: unknown): void {
  if (!Array.isArray(list)) throw invalidArgument('request.tools must be an array');
  if (checkedTools.has(list)) return;
  list.forEach((value: unknown, i) => {
    const where = `request.tools[${i}]`;
    if (!isObject(value)) throw invalidArgument(`${where} must be an object`);
    const t = value as Partial<ToolSpec>;
    if (!isString(t.name) || t.name === '')
      throw invalidArgument(`${where}.name must be a non-empty string`);
    if (!isString(t.description)) throw invalidArgument(`${where}.description must be a string`);
    if (!isObject(t.parameters))
      throw invalidArgument(`${where}.parameters must be a JSON Schema object`);
  });
  checkedTools.add(list);
}

function optionalFunction(request: Record<string, unknown>, name: string): void {
  if (request[name] !== undefined && typeof request[name] !== 'function')
    throw invalidArgument(`request.${name} must be a function`);
}

/**
 * Refuses a malformed request with `ERR_INVALID_ARGUMENT` naming the field, before anything is
 * sent: `generate` never fails with a raw `TypeError` on bad input.
 */
export function validateRequest(request: ModelRequest): void {
  if (!isObject(request)) throw invalidArgument('request must be an object');
  const r = request as unknown as Record<string, unknown>;
  if (!Array.isArray(request.messages)) throw invalidArgument('request.messages must be an array');
  for (let i = 0; i < request.messages.length; i++) {
    const m: unknown = request.messages[i];
    if (typeof m === 'object' && m !== null && checkedMessages.has(m)) continue;
    message(m, `request.messages[${i}]`);
    checkedMessages.add(m as object);
  }
  tools(request.tools);
  if (request.system !== undefined && !isString(request.system))
    throw invalidArgument('request.system must be a string');
  const max = request.maxOutputTokens;
  if (max !== undefined && !(Number.isInteger(max) && max > 0))
    throw invalidArgument('request.maxOutputTokens must be a positive integer', {
      maxOutputTokens: max,
    });
  const t = request.temperature;
  if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t >= 0))
    throw invalidArgument('request.temperature must be a non-negative finite number', {
      temperature: t,
    });
  if (r.signal !== undefined) {
    const s = r.signal as Partial<AbortSignal> | null;
    if (typeof s !== 'object' || s === null || typeof s.addEventListener !== 'function')
      throw invalidArgument('request.signal must be an AbortSignal');
  }
  optionalFunction(r, 'onDelta');
  optionalFunction(r, 'onRateLimit');
  if (request.parallelToolCalls !== undefined && typeof request.parallelToolCalls !== 'boolean')
    throw invalidArgument('request.parallelToolCalls must be a boolean');
  const choice = request.toolChoice as unknown;
  if (
    choice !== undefined &&
    choice !== 'auto' &&
    choice !== 'required' &&
    choice !== 'none' &&
    !(isObject(choice) && choice.type === 'tool' && isString(choice.name) && choice.name !== '')
  ) {
    throw invalidArgument(
      "request.toolChoice must be 'auto', 'required', 'none' or { type: 'tool', name }",
    );
  }
  const format = request.responseFormat as unknown;
  if (format !== undefined) {
    if (
      !isObject(format) ||
      format.type !== 'json_schema' ||
      !isString(format.name) ||
      !/^[A-Za-z0-9_-]{1,64}$/.test(format.name) ||
      !isObject(format.schema) ||
      (format.strict !== undefined && typeof format.strict !== 'boolean')
    ) {
      throw invalidArgument(
        "request.responseFormat must be { type: 'json_schema', name (letters, digits, _ or -), schema, strict? }",
      );
    }
  }
}
