// What the fake server refuses with 400, as the real APIs do. Deliberately strict where a
// provider adapter is most likely to go wrong: message order and tool-call bookkeeping.

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A Chat Completions request body's problem, or `undefined` when it is well formed. */
export function openaiProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages must be a non-empty array';
  if (body.stream_options !== undefined && body.stream !== true)
    return 'stream_options is only allowed when stream is true';
  const pending = new Set<string>();
  for (const [i, message] of body.messages.entries()) {
    if (!isObj(message)) return `messages[${i}] must be an object`;
    const { role } = message;
    if (role !== 'tool' && pending.size > 0)
      return `messages[${i}]: tool_calls ${[...pending].join(', ')} have no tool message`;
    if (role === 'system' || role === 'user') {
      if (typeof message.content !== 'string') return `messages[${i}].content must be a string`;
    } else if (role === 'assistant') {
      const calls = message.tool_calls;
      if (calls === undefined) {
        if (typeof message.content !== 'string') return `messages[${i}].content must be a string`;
        continue;
      }
      if (!Array.isArray(calls) || calls.length === 0)
        return `messages[${i}].tool_calls must be a non-empty array`;
      for (const call of calls) {
        const fn = isObj(call) ? call.function : undefined;
        if (!isObj(call) || call.type !== 'function' || typeof call.id !== 'string' || !isObj(fn)) {
          return `messages[${i}].tool_calls entries must be {id, type: 'function', function}`;
        }
        if (typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
          return `messages[${i}].tool_calls[].function needs name and arguments (a JSON string)`;
        }
        pending.add(call.id);
      }
    } else if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || !pending.delete(message.tool_call_id)) {
        return `messages[${i}]: tool message must answer a preceding tool_call id`;
      }
      if (typeof message.content !== 'string') return `messages[${i}].content must be a string`;
    } else {
      return `messages[${i}].role ${String(role)} is not supported`;
    }
  }
  if (pending.size > 0) return `tool_calls ${[...pending].join(', ')} have no tool message`;
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools) || body.tools.length === 0)
      return 'tools must be a non-empty array when present';
    for (const tool of body.tools) {
      if (
        !isObj(tool) ||
        tool.type !== 'function' ||
        !isObj(tool.function) ||
        typeof tool.function.name !== 'string'
      ) {
        return "tools entries must be {type: 'function', function: {name, description, parameters}}";
      }
    }
  }
  return undefined;
}

/** A Messages API request body's problem, or `undefined` when it is well formed. */
export function anthropicProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)
    return 'max_tokens: Field required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) {
    return 'system: must be a string or an array of text blocks';
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages: at least one message is required';
  let expected = 'user';
  let pending = new Set<string>();
  for (const [i, message] of body.messages.entries()) {
    if (!isObj(message)) return `messages.${i}: must be an object`;
    if (message.role !== 'user' && message.role !== 'assistant')
      return `messages.${i}.role: must be user or assistant`;
    if (message.role !== expected)
      return `messages.${i}: roles must alternate between "user" and "assistant"`;
    expected = message.role === 'user' ? 'assistant' : 'user';
    const content = message.content;
    if (typeof content === 'string') {
      if (content === '') return `messages.${i}: content must be non-empty`;
      if (pending.size > 0)
        return `messages.${i}: tool_use ids ${[...pending].join(', ')} were found without tool_result blocks`;
      continue;
    }
    if (!Array.isArray(content) || content.length === 0)
      return `messages.${i}.content: must be a non-empty string or array`;
    const next = new Set<string>();
    let seenOther = false;
    for (const block of content) {
      if (!isObj(block)) return `messages.${i}.content: blocks must be objects`;
      if (block.type === 'tool_result') {
        if (message.role !== 'user')
          return `messages.${i}: tool_result blocks belong in user turns`;
        if (seenOther) return `messages.${i}: tool_result blocks must come first`;
        if (typeof block.tool_use_id !== 'string' || !pending.delete(block.tool_use_id)) {
          return `messages.${i}: unexpected tool_use_id in tool_result blocks`;
        }
      } else if (block.type === 'tool_use') {
        if (message.role !== 'assistant')
          return `messages.${i}: tool_use blocks belong in assistant turns`;
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || !isObj(block.input)) {
          return `messages.${i}: tool_use blocks need id, name and an object input`;
        }
        next.add(block.id);
        seenOther = true;
      } else if (block.type === 'text') {
        if (typeof block.text !== 'string' || block.text === '')
          return `messages.${i}: text blocks must be non-empty`;
        seenOther = true;
      } else {
        return `messages.${i}: unsupported block type ${String(block.type)}`;
      }
    }
    if (pending.size > 0)
      return `messages.${i}: tool_use ids ${[...pending].join(', ')} were found without tool_result blocks`;
    pending = next;
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: must be an array';
    for (const tool of body.tools) {
      if (!isObj(tool) || typeof tool.name !== 'string' || !isObj(tool.input_schema)) {
        return 'tools: entries need name and input_schema';
      }
    }
  }
  return undefined;
}
