// Building Chat Completions request bodies from provider-neutral requests.
import type { ChatMessage, ContentPart, ModelRequest, ToolChoice } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './common.js';
import { asObject, toolCache, wireParameters } from './common.js';

export const wireTools = toolCache((tool) => ({
  type: 'function',
  function: {
    name: tool.name,
    description: tool.description,
    parameters: wireParameters(tool.parameters),
  },
}));

/** `data:` URL of base64 content. */
export function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** A document's text, when it is plain text sent as base64. */
export function documentText(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

function partToWire(part: ContentPart): Json {
  if (part.type === 'text') return { type: 'text', text: part.text };
  if (part.type === 'image') {
    return {
      type: 'image_url',
      image_url: { url: part.data !== undefined ? dataUrl(part.mediaType, part.data) : part.url },
    };
  }
  if (part.data === undefined) {
    throw invalidArgument('Chat Completions takes documents as base64 data, not by url', {
      url: part.url,
    });
  }
  if (part.mediaType.startsWith('text/')) return { type: 'text', text: documentText(part.data) };
  return {
    type: 'file',
    file: {
      filename: part.filename ?? 'document.pdf',
      file_data: dataUrl(part.mediaType, part.data),
    },
  };
}

/** This protocol's opaque fields of a message or a call (see `ProviderData`). */
function own(providerData: unknown): Json | undefined {
  return asObject(asObject(providerData)?.openai);
}

export function toOpenAIMessage(message: ChatMessage): Json {
  switch (message.role) {
    case 'user':
      if (message.parts !== undefined && message.parts.length > 0)
        return { role: 'user', content: message.parts.map(partToWire) };
      return { role: 'user', content: message.content };
    case 'assistant': {
      const extra = own(message.providerData);
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { ...extra, role: 'assistant', content: message.content };
      return {
        ...extra,
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((call) => ({
          ...own(call.providerData),
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/** `tool_choice` on the wire. */
export function openaiToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

/** The request body's fields shared by streamed and whole calls. */
export function chatBody(
  model: string,
  request: ModelRequest,
  maxTokensField: string,
): Record<string, unknown> {
  const messages: Json[] = [];
  if (request.system !== undefined && request.system !== '')
    messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) messages.push(toOpenAIMessage(message));
  const body: Record<string, unknown> = { model, messages };
  if (request.tools.length > 0) {
    body.tools = wireTools(request.tools);
    if (request.parallelToolCalls !== undefined)
      body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (request.toolChoice !== undefined) body.tool_choice = openaiToolChoice(request.toolChoice);
  if (request.maxOutputTokens !== undefined) body[maxTokensField] = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  const format = request.responseFormat;
  if (format !== undefined) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? true },
    };
  }
  return body;
}
