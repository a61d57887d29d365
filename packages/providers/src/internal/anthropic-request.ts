// Building Messages API request bodies from provider-neutral requests.
import type { ChatMessage, ContentPart, ModelRequest, ToolChoice, ToolSpec } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './common.js';
import { asArray, asObject, toolCache, wireParameters } from './common.js';
import { documentText } from './openai-request.js';

export const EPHEMERAL = { type: 'ephemeral' } as const;
/** The API accepts at most this many `cache_control` breakpoints in one request. */
export const MAX_BREAKPOINTS = 4;

export const wireTools = toolCache((tool) => ({
  name: tool.name,
  description: tool.description,
  input_schema: wireParameters(tool.parameters),
}));

// The same tools with a cache breakpoint on the last one (which caches the whole list), made
// once per list like the plain ones.
const markedTools = new WeakMap<readonly ToolSpec[], readonly Json[]>();
export function wireToolsMarked(tools: readonly ToolSpec[]): readonly Json[] {
  let marked = markedTools.get(tools);
  if (marked === undefined) {
    const plain = wireTools(tools);
    marked = plain.map((tool, index) =>
      index === plain.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool,
    );
    markedTools.set(tools, marked);
  }
  return marked;
}

function source(part: { mediaType: string; data?: string; url?: string }): Json {
  return part.data !== undefined
    ? { type: 'base64', media_type: part.mediaType, data: part.data }
    : { type: 'url', url: part.url };
}

function partToBlock(part: ContentPart): Json {
  if (part.type === 'text') return { type: 'text', text: part.text };
  if (part.type === 'image') return { type: 'image', source: source(part) };
  const block: Record<string, unknown> =
    part.mediaType.startsWith('text/') && part.data !== undefined
      ? {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: documentText(part.data) },
        }
      : { type: 'document', source: source(part) };
  if (part.filename !== undefined) block.title = part.filename;
  return block;
}

/** The signed thinking blocks of an answer, kept in its `providerData.anthropic.thinking`. */
function thinkingBlocks(message: ChatMessage): Json[] {
  if (message.role !== 'assistant') return [];
  return asArray(asObject(asObject(message.providerData)?.anthropic)?.thinking)
    .map(asObject)
    .filter((block): block is Json => block !== undefined);
}

interface Turn {
  role: 'user' | 'assistant';
  content: Json[];
}

/**
 * Provider-neutral messages to Messages API turns (see `toAnthropicMessages`). Messages with a
 * `cache` hint get a `cache_control` breakpoint on their last block; of those, the latest
 * `breakpoints` are kept (the API allows four in all, system and tools included).
 */
export function anthropicTurns(request: ModelRequest, breakpoints: number): Json[] {
  const out: Turn[] = [];
  const marks: { content: Json[]; index: number }[] = [];
  const turn = (role: 'user' | 'assistant'): Json[] => {
    const last = out.at(-1);
    if (last !== undefined && last.role === role) return last.content;
    const content: Json[] = [];
    out.push({ role, content });
    return content;
  };
  for (const message of request.messages) {
    let blocks: Json[];
    if (message.role === 'user') {
      blocks =
        message.parts !== undefined && message.parts.length > 0
          ? message.parts.map(partToBlock)
          : message.content === ''
            ? []
            : [{ type: 'text', text: message.content }];
      // The API refuses an empty user message: it carries nothing, so it is not sent.
      if (blocks.length === 0) continue;
    } else if (message.role === 'tool') {
      const block: Record<string, unknown> = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: message.content,
      };
      if (message.isError === true) block.is_error = true;
      blocks = [block];
    } else {
      blocks = thinkingBlocks(message);
      if (message.content !== '') blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) {
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: call.arguments ?? {},
        });
      }
      // The API refuses empty assistant turns; an empty one carries nothing worth sending.
      if (blocks.length === 0) continue;
    }
    const target = turn(message.role === 'assistant' ? 'assistant' : 'user');
    target.push(...blocks);
    if (message.cache === true) marks.push({ content: target, index: target.length - 1 });
  }
  // The latest hints win: they cache the longest prefix.
  for (const { content, index } of marks.slice(Math.max(0, marks.length - breakpoints))) {
    content[index] = { ...content[index], cache_control: EPHEMERAL };
  }
  // A lone unmarked text block is sent as a plain string: the shape most servers expect.
  return out.map((t) => {
    const only = t.content[0];
    return t.content.length === 1 && only?.type === 'text' && only.cache_control === undefined
      ? { role: t.role, content: only.text }
      : { role: t.role, content: t.content };
  });
}

/** `tool_choice` on the wire, with parallel calls turned off when asked. */
export function anthropicToolChoice(
  choice: ToolChoice | undefined,
  parallel: boolean | undefined,
): Json | undefined {
  if (choice === undefined && parallel !== false) return undefined;
  const base: Record<string, unknown> =
    choice === undefined || choice === 'auto'
      ? { type: 'auto' }
      : choice === 'required'
        ? { type: 'any' }
        : choice === 'none'
          ? { type: 'none' }
          : { type: 'tool', name: choice.name };
  if (parallel === false && base.type !== 'none') base.disable_parallel_tool_use = true;
  return base;
}

/** What a model's options fix for every request body. */
export interface AnthropicBodySettings {
  readonly model: string;
  /** `max_tokens` when the request sets no `maxOutputTokens`. */
  readonly maxTokens: number;
  readonly promptCaching: boolean;
  readonly sendTemperature: boolean;
  /** Extended thinking's token budget, or none. */
  readonly budget: number | undefined;
}

/** A Messages API request body (without `stream`). */
export function anthropicBody(
  settings: AnthropicBodySettings,
  request: ModelRequest,
): Record<string, unknown> {
  const { promptCaching } = settings;
  let breakpoints = MAX_BREAKPOINTS;
  const body: Record<string, unknown> = {
    model: settings.model,
    max_tokens: request.maxOutputTokens ?? settings.maxTokens,
  };
  if (request.system !== undefined && request.system !== '') {
    if (promptCaching) breakpoints--;
    body.system = promptCaching
      ? [{ type: 'text', text: request.system, cache_control: EPHEMERAL }]
      : request.system;
  }
  if (request.tools.length > 0) {
    if (promptCaching) breakpoints--;
    body.tools = promptCaching ? wireToolsMarked(request.tools) : wireTools(request.tools);
  }
  const messages = anthropicTurns(request, breakpoints);
  if (messages.length === 0)
    throw invalidArgument('request.messages has nothing to send (every message is empty)');
  body.messages = messages;
  const choice = anthropicToolChoice(request.toolChoice, request.parallelToolCalls);
  if (choice !== undefined && request.tools.length > 0) body.tool_choice = choice;
  if (request.temperature !== undefined && settings.sendTemperature)
    body.temperature = request.temperature;
  if (settings.budget !== undefined)
    body.thinking = { type: 'enabled', budget_tokens: settings.budget };
  const format = request.responseFormat;
  if (format !== undefined)
    body.output_config = { format: { type: 'json_schema', schema: format.schema } };
  return body;
}
