import type { ModelRequest, ToolSpec } from '@troupe/core';

/**
 * A request's size in tokens, estimated at about four characters a token (an image or a
 * document part about a thousand), plus `outputTokens` as the output allowance: good enough
 * for a limiter's up-front reservation, which the usage a call reports then corrects.
 *
 * @example
 * ```ts
 * estimateRequestTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }], tools: [] }, 100); // 200
 * ```
 */
export function estimateRequestTokens(request: ModelRequest, outputTokens: number): number {
  let chars = request.system?.length ?? 0;
  for (const message of request.messages) {
    if (message.role === 'user' && message.parts !== undefined && message.parts.length > 0) {
      // Parts are sent instead of `content`. An image or a page costs on the order of a
      // thousand tokens; text parts count as text.
      for (const part of message.parts) chars += part.type === 'text' ? part.text.length : 4_000;
    } else {
      chars += message.content.length;
    }
    if (message.role === 'assistant' && message.toolCalls !== undefined) {
      for (const call of message.toolCalls)
        chars += call.name.length + JSON.stringify(call.arguments ?? {}).length;
    }
  }
  return Math.ceil((chars + toolChars(request.tools)) / 4) + outputTokens;
}

// Tool lists repeat every turn: their size is measured once per list.
const toolSizes = new WeakMap<readonly ToolSpec[], number>();

function toolChars(tools: readonly ToolSpec[]): number {
  let chars = toolSizes.get(tools);
  if (chars === undefined) {
    chars = 0;
    for (const tool of tools)
      chars += tool.name.length + tool.description.length + JSON.stringify(tool.parameters).length;
    toolSizes.set(tools, chars);
  }
  return chars;
}
