import type { ChatMessage, ModelRequest, ToolSpec } from '@troupe/core';

/**
 * Characters per token of the estimate. Core's calibrated token counter is not exported, so the
 * simulation uses the same plain rule it starts from: about 4 characters a token (English prose
 * and code average 3.5 to 4.5), plus a few tokens of role markers per message.
 */
const CHARS_PER_TOKEN = 4;
/** Role markers and separators a provider adds around each message (as core counts them). */
const PER_MESSAGE = 4;

const tokens = (text: string): number => Math.ceil(text.length / CHARS_PER_TOKEN);

// A team's tool list is one array per agent, sent unchanged with every call: counted once.
const toolTokens = new WeakMap<readonly ToolSpec[], number>();

function toolsOf(tools: readonly ToolSpec[]): number {
  if (tools.length === 0) return 0;
  let n = toolTokens.get(tools);
  if (n === undefined) {
    n = tokens(JSON.stringify(tools));
    toolTokens.set(tools, n);
  }
  return n;
}

function messageTokens(message: ChatMessage): number {
  let n = PER_MESSAGE + tokens(message.content);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? [])
      n += PER_MESSAGE + tokens(call.name) + tokens(JSON.stringify(call.arguments) ?? '');
  } else if (message.role === 'tool') {
    n += tokens(message.name);
  }
  return n;
}

/**
 * Input tokens of a request as the simulation bills them: the system prompt, every message and
 * the tool list, by about 4 characters a token (see {@link CHARS_PER_TOKEN}). What the agent's
 * context policy leaves out of the request is not billed, so a policy's cost effect shows.
 */
export function requestTokens(request: ModelRequest): number {
  let n = toolsOf(request.tools) + (request.system === undefined ? 0 : tokens(request.system));
  for (const message of request.messages) n += messageTokens(message);
  return n;
}
