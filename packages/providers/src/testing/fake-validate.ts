// What the fake server refuses with 400, as the real APIs do, and nothing they accept. Strict
// where a provider adapter is most likely to go wrong: message order and tool-call bookkeeping.

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const TEXT_ONLY = new Set(['text']);
const USER_PARTS = new Set(['text', 'image_url', 'input_audio', 'file']);
const ASSISTANT_PARTS = new Set(['text', 'refusal']);

/** A string, or an array of parts of the allowed types. */
function contentProblem(
  content: unknown,
  allowed: ReadonlySet<string>,
  where: string,
): string | undefined {
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content) || content.length === 0)
    return `${where}.content must be a string or a non-empty array of parts`;
  for (const part of content) {
    if (!isObj(part) || typeof part.type !== 'string' || !allowed.has(part.type))
      return `${where}.content: part type ${String(isObj(part) ? part.type : part)} is not allowed here`;
    if (part.type === 'text' && typeof part.text !== 'string')
      return `${where}.content: text parts need text`;
    if (
      part.type === 'image_url' &&
      !(isObj(part.image_url) && typeof part.image_url.url === 'string')
    )
      return `${where}.content: image_url parts need image_url.url`;
    if (
      part.type === 'file' &&
      !(
        isObj(part.file) &&
        (typeof part.file.file_data === 'string' || typeof part.file.file_id === 'string')
      )
    )
      return `${where}.content: file parts need file.file_data or file.file_id`;
  }
  return undefined;
}

function toolCallsProblem(calls: unknown, where: string, pending: Set<string>): string | undefined {
  if (!Array.isArray(calls) || calls.length === 0)
    return `${where}.tool_calls must be a non-empty array`;
  for (const call of calls) {
    const fn = isObj(call) ? call.function : undefined;
    if (!isObj(call) || call.type !== 'function' || typeof call.id !== 'string' || !isObj(fn))
      return `${where}.tool_calls entries must be {id, type: 'function', function}`;
    if (typeof fn.name !== 'string' || typeof fn.arguments !== 'string')
      return `${where}.tool_calls[].function needs name and arguments (a JSON string)`;
    pending.add(call.id);
  }
  return undefined;
}

function openaiMessagesProblem(messages: unknown[]): string | undefined {
  const pending = new Set<string>();
  for (const [i, message] of messages.entries()) {
    const where = `messages[${i}]`;
    if (!isObj(message)) return `${where} must be an object`;
    const { role } = message;
    if (role !== 'tool' && pending.size > 0)
      return `${where}: tool_calls ${[...pending].join(', ')} have no tool message`;
    let problem: string | undefined;
    if (role === 'system' || role === 'developer')
      problem = contentProblem(message.content, TEXT_ONLY, where);
    else if (role === 'user') problem = contentProblem(message.content, USER_PARTS, where);
    else if (role === 'assistant') {
      if (message.tool_calls === undefined || message.tool_calls === null)
        problem = contentProblem(message.content, ASSISTANT_PARTS, where);
      else {
        if (message.content !== null && message.content !== undefined)
          problem = contentProblem(message.content, ASSISTANT_PARTS, where);
        problem ??= toolCallsProblem(message.tool_calls, where, pending);
      }
    } else if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || !pending.delete(message.tool_call_id))
        return `${where}: tool message must answer a preceding tool_call id`;
      problem = contentProblem(message.content, TEXT_ONLY, where);
    } else return `${where}.role ${String(role)} is not supported`;
    if (problem !== undefined) return problem;
  }
  if (pending.size > 0) return `tool_calls ${[...pending].join(', ')} have no tool message`;
  return undefined;
}

/** A Chat Completions request body's problem, or `undefined` when it is well formed. */
export function openaiProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages must be a non-empty array';
  if (body.stream_options !== undefined && body.stream !== true)
    return 'stream_options is only allowed when stream is true';
  const problem = openaiMessagesProblem(body.messages);
  if (problem !== undefined) return problem;
  const names = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools) || body.tools.length === 0)
      return 'tools must be a non-empty array when present';
    for (const tool of body.tools) {
      if (
        !isObj(tool) ||
        tool.type !== 'function' ||
        !isObj(tool.function) ||
        typeof tool.function.name !== 'string'
      )
        return "tools entries must be {type: 'function', function: {name, description, parameters}}";
      names.add(tool.function.name);
    }
  } else if (body.parallel_tool_calls !== undefined) {
    return "parallel_tool_calls is only allowed when 'tools' are specified";
  }
  const choice = body.tool_choice;
  if (choice !== undefined && !['auto', 'required', 'none'].includes(choice as string)) {
    const name = isObj(choice) && isObj(choice.function) ? choice.function.name : undefined;
    if (typeof name !== 'string' || !names.has(name))
      return 'tool_choice must name one of the tools';
  }
  const format = body.response_format;
  if (format !== undefined) {
    if (!isObj(format)) return 'response_format must be an object';
    if (format.type === 'json_schema') {
      const schema = format.json_schema;
      if (!isObj(schema) || typeof schema.name !== 'string' || !isObj(schema.schema))
        return 'response_format.json_schema needs name and schema';
    } else if (format.type !== 'json_object' && format.type !== 'text') {
      return 'response_format.type must be text, json_object or json_schema';
    }
  }
  return undefined;
}

const ANTHROPIC_BLOCKS = new Set([
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'search_result',
]);

/** Consecutive turns of one role are one turn, as the real API reads them. */
function mergeTurns(messages: unknown[]): { role: unknown; content: unknown[] }[] | string {
  const out: { role: unknown; content: unknown[] }[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isObj(message)) return `messages.${i}: must be an object`;
    if (message.role !== 'user' && message.role !== 'assistant')
      return `messages.${i}.role: must be user or assistant`;
    const { content } = message;
    let blocks: unknown[];
    if (typeof content === 'string') {
      if (content === '') return `messages.${i}: content must be non-empty`;
      blocks = [{ type: 'text', text: content }];
    } else if (Array.isArray(content) && content.length > 0) blocks = content;
    else return `messages.${i}.content: must be a non-empty string or array`;
    const last = out.at(-1);
    if (last !== undefined && last.role === message.role) last.content.push(...blocks);
    else out.push({ role: message.role, content: [...blocks] });
  }
  return out;
}

function sourceProblem(block: Obj, where: string): string | undefined {
  const source = block.source;
  if (!isObj(source)) return `${where}: ${String(block.type)} blocks need a source`;
  if (
    source.type === 'base64' &&
    typeof source.media_type === 'string' &&
    typeof source.data === 'string'
  )
    return undefined;
  if (source.type === 'url' && typeof source.url === 'string') return undefined;
  if (source.type === 'text' && block.type === 'document' && typeof source.data === 'string')
    return undefined;
  return `${where}: unsupported ${String(block.type)} source`;
}

function blockProblem(
  block: unknown,
  role: unknown,
  where: string,
  signature: string,
): string | undefined {
  if (!isObj(block)) return `${where}: blocks must be objects`;
  if (typeof block.type !== 'string' || !ANTHROPIC_BLOCKS.has(block.type))
    return `${where}: unsupported block type ${String(block.type)}`;
  if (block.type === 'text' && (typeof block.text !== 'string' || block.text === ''))
    return `${where}: text blocks must be non-empty`;
  if ((block.type === 'image' || block.type === 'document') && role !== 'user')
    return `${where}: ${block.type} blocks belong in user turns`;
  if (block.type === 'image' || block.type === 'document') return sourceProblem(block, where);
  if ((block.type === 'thinking' || block.type === 'redacted_thinking') && role !== 'assistant')
    return `${where}: thinking blocks belong in assistant turns`;
  if (block.type === 'thinking' && block.signature !== signature)
    return `${where}: Invalid \`signature\` in \`thinking\` block`;
  return undefined;
}

/** A Messages API request body's problem, or `undefined` when it is well formed. */
export function anthropicProblem(body: unknown, signature: string): string | undefined {
  if (!isObj(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)
    return 'max_tokens: Field required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    return 'system: must be a string or an array of text blocks';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages: at least one message is required';
  const turns = mergeTurns(body.messages);
  if (typeof turns === 'string') return turns;
  const thinking = isObj(body.thinking) && body.thinking.type === 'enabled';
  let pending = new Set<string>();
  for (const [i, turn] of turns.entries()) {
    const next = new Set<string>();
    let seenOther = false;
    for (const [j, block] of turn.content.entries()) {
      const where = `messages.${i}.content.${j}`;
      const problem = blockProblem(block, turn.role, where, signature);
      if (problem !== undefined) return problem;
      const b = block as Obj;
      if (b.type === 'tool_result') {
        if (turn.role !== 'user') return `${where}: tool_result blocks belong in user turns`;
        if (seenOther) return `messages.${i}: tool_result blocks must come first`;
        if (typeof b.tool_use_id !== 'string' || !pending.delete(b.tool_use_id))
          return `messages.${i}: unexpected tool_use_id in tool_result blocks`;
      } else if (b.type === 'tool_use') {
        if (turn.role !== 'assistant') return `${where}: tool_use blocks belong in assistant turns`;
        if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObj(b.input))
          return `${where}: tool_use blocks need id, name and an object input`;
        next.add(b.id);
        seenOther = true;
      } else seenOther = true;
    }
    const first = turn.content[0] as Obj;
    if (
      thinking &&
      turn.role === 'assistant' &&
      i === turns.length - 2 &&
      next.size > 0 &&
      first.type !== 'thinking' &&
      first.type !== 'redacted_thinking'
    ) {
      return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first.type)}\`. When thinking is enabled, a final assistant message must start with a thinking block`;
    }
    if (pending.size > 0)
      return `messages.${i}: tool_use ids ${[...pending].join(', ')} were found without tool_result blocks`;
    pending = next;
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: must be an array';
    for (const tool of body.tools) {
      if (!isObj(tool) || typeof tool.name !== 'string' || !isObj(tool.input_schema))
        return 'tools: entries need name and input_schema';
    }
  }
  if (countCacheControl(body) > 4)
    return 'A maximum of 4 blocks with cache_control may be provided.';
  return undefined;
}

function countCacheControl(value: unknown): number {
  if (Array.isArray(value))
    return value.reduce((n: number, item) => n + countCacheControl(item), 0);
  if (!isObj(value)) return 0;
  let n = value.cache_control !== undefined ? 1 : 0;
  for (const [key, item] of Object.entries(value)) {
    if (key !== 'cache_control' && typeof item === 'object') n += countCacheControl(item);
  }
  return n;
}
