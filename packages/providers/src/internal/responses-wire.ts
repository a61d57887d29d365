// The OpenAI Responses API on the wire: request items from provider-neutral messages, and
// answers (whole `response` objects and typed event streams) back.
import type {
  ChatMessage,
  ContentPart,
  ModelRequest,
  ModelResponse,
  StopReason,
  ToolCall,
} from '@troupe/core';
import type { ResolvedOptions } from '../options.js';
import type { Json } from './common.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  parseJson,
  parseToolArguments,
  priced,
  readSse,
  toolCache,
  wireParameters,
} from './common.js';
import { failureFromProviderError, malformedResponse } from './failure.js';
import { dataUrl } from './openai-request.js';
import type { Body } from './response-body.js';
import { StreamedText } from './streamed-text.js';
import type { ReadContext } from './transport.js';

/** Key of this protocol's opaque fields in `providerData`. */
export const RESPONSES = 'openai-responses';

export const responsesTools = toolCache((tool) => ({
  type: 'function',
  name: tool.name,
  description: tool.description,
  parameters: wireParameters(tool.parameters),
  strict: false,
}));

function inputPart(part: ContentPart): Json {
  if (part.type === 'text') return { type: 'input_text', text: part.text };
  const url = part.data !== undefined ? dataUrl(part.mediaType, part.data) : part.url;
  if (part.type === 'image') return { type: 'input_image', image_url: url };
  if (part.data === undefined) return { type: 'input_file', file_url: part.url };
  return { type: 'input_file', filename: part.filename ?? 'document.pdf', file_data: url };
}

function messageItems(message: ChatMessage, out: Json[]): void {
  if (message.role === 'user') {
    const content =
      message.parts !== undefined && message.parts.length > 0
        ? message.parts.map(inputPart)
        : message.content;
    out.push({ role: 'user', content });
  } else if (message.role === 'tool') {
    out.push({
      type: 'function_call_output',
      call_id: message.toolCallId,
      output: message.content,
    });
  } else {
    // Reasoning items go back first, as they came, so a reasoning model keeps its thread.
    const own = asObject(asObject(message.providerData)?.[RESPONSES]);
    for (const item of asArray(own?.reasoning)) {
      const reasoning = asObject(item);
      if (reasoning !== undefined) out.push(reasoning);
    }
    if (message.content !== '') out.push({ role: 'assistant', content: message.content });
    for (const call of message.toolCalls ?? []) {
      out.push({
        type: 'function_call',
        call_id: call.id,
        name: call.name,
        arguments: JSON.stringify(call.arguments ?? {}),
      });
    }
  }
}

/** A Responses API request body (without `stream`). */
export function responsesBody(
  model: string,
  request: ModelRequest,
  includeReasoning: boolean,
): Record<string, unknown> {
  const input: Json[] = [];
  for (const message of request.messages) messageItems(message, input);
  const body: Record<string, unknown> = { model, input, store: false };
  if (request.system !== undefined && request.system !== '') body.instructions = request.system;
  if (request.tools.length > 0) {
    body.tools = responsesTools(request.tools);
    if (request.parallelToolCalls !== undefined)
      body.parallel_tool_calls = request.parallelToolCalls;
  }
  const choice = request.toolChoice;
  if (choice !== undefined)
    body.tool_choice =
      typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
  if (request.maxOutputTokens !== undefined) body.max_output_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  const format = request.responseFormat;
  if (format !== undefined) {
    body.text = {
      format: {
        type: 'json_schema',
        name: format.name,
        schema: format.schema,
        strict: format.strict ?? true,
      },
    };
  }
  if (includeReasoning) body.include = ['reasoning.encrypted_content'];
  return body;
}

function failure(error: Json | undefined, requestId: string | undefined): never {
  throw failureFromProviderError(
    asString(error?.code) ?? asString(error?.type),
    `openai responses error: ${asString(error?.message) ?? 'unknown error'}`,
    requestId === undefined ? {} : { requestId },
  );
}

/** A finished `response` object to a {@link ModelResponse}. */
function fromResponse(
  response: Json,
  options: ResolvedOptions,
  requestId: string | undefined,
): ModelResponse {
  if (response.status === 'failed') failure(asObject(response.error), requestId);
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  const kept: Json[] = [];
  for (const raw of asArray(response.output)) {
    const item = asObject(raw);
    if (item?.type === 'message') {
      for (const part of asArray(item.content)) {
        const p = asObject(part);
        if (p?.type === 'output_text') text += asString(p.text) ?? '';
      }
    } else if (item?.type === 'function_call') {
      toolCalls.push({
        id: asString(item.call_id) ?? asString(item.id) ?? '',
        name: asString(item.name) ?? '',
        arguments: parseToolArguments(asString(item.arguments) ?? ''),
      });
    } else if (item?.type === 'reasoning') {
      for (const part of asArray(item.summary)) reasoning += asString(asObject(part)?.text) ?? '';
      kept.push(item);
    }
  }
  const usage = asObject(response.usage);
  const cached = asNumber(asObject(usage?.input_tokens_details)?.cached_tokens);
  const why = asString(asObject(response.incomplete_details)?.reason);
  const stopReason: StopReason =
    response.status === 'incomplete'
      ? why === 'max_output_tokens'
        ? 'max_tokens'
        : why === 'content_filter'
          ? 'content_filter'
          : 'other'
      : toolCalls.length > 0
        ? 'tool_calls'
        : 'end';
  const out: { -readonly [K in keyof ModelResponse]: ModelResponse[K] } = {
    text,
    toolCalls,
    usage: priced(
      {
        inputTokens: asNumber(usage?.input_tokens) ?? 0,
        outputTokens: asNumber(usage?.output_tokens) ?? 0,
        ...(cached === undefined ? {} : { cacheReadTokens: cached }),
      },
      options.pricing,
    ),
    stopReason,
  };
  if (reasoning !== '') out.reasoning = reasoning;
  if (kept.length > 0) out.providerData = { [RESPONSES]: { reasoning: kept } };
  return out;
}

export async function readResponsesWhole(
  body: Body,
  context: ReadContext,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const payload = asObject(parseJson(await body.text(), 'openai', context.requestId));
  if (payload === undefined) throw malformedResponse('openai answered with a non-object body');
  if (payload.error !== undefined && payload.error !== null && payload.output === undefined)
    failure(asObject(payload.error), context.requestId);
  return fromResponse(payload, options, context.requestId);
}

export async function readResponsesStream(
  body: Body,
  context: ReadContext,
  request: ModelRequest,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const out = new StreamedText(context, request.onDelta);
  // Output index of each function call to its position among this answer's calls.
  const callAt = new Map<number, number>();
  let result: ModelResponse | undefined;
  await readSse(body, 'openai', (event) => {
    const payload = asObject(parseJson(event.data, 'openai', context.requestId));
    if (payload === undefined) throw malformedResponse('openai stream sent a non-object event');
    const type = asString(payload.type) ?? event.event;
    switch (type) {
      case 'response.output_text.delta': {
        const piece = asString(payload.delta) ?? '';
        if (piece !== '') out.emit({ type: 'text', text: piece });
        break;
      }
      case 'response.reasoning_summary_text.delta': {
        const piece = asString(payload.delta) ?? '';
        if (piece !== '') out.emit({ type: 'reasoning', text: piece });
        break;
      }
      case 'response.output_item.added': {
        const item = asObject(payload.item);
        if (item?.type !== 'function_call') break;
        const index = callAt.size;
        callAt.set(asNumber(payload.output_index) ?? -1, index);
        out.emit({
          type: 'tool-call',
          index,
          id: asString(item.call_id) ?? '',
          name: asString(item.name) ?? '',
          argumentsDelta: '',
        });
        break;
      }
      case 'response.function_call_arguments.delta': {
        const index = callAt.get(asNumber(payload.output_index) ?? -1);
        const piece = asString(payload.delta) ?? '';
        if (index !== undefined && piece !== '')
          out.emit({ type: 'tool-call', index, argumentsDelta: piece });
        break;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const response = asObject(payload.response);
        if (response === undefined) throw malformedResponse(`openai ${type} carries no response`);
        result = fromResponse(response, options, context.requestId);
        return true;
      }
      case 'error':
        failure(payload, context.requestId);
        break;
      default:
        break;
    }
    return undefined;
  });
  if (result === undefined)
    throw malformedResponse('openai stream ended before the response completed');
  return result;
}
