// The OpenAI Responses API (`POST /v1/responses`) as the fake speaks it: whole `response`
// objects and the typed SSE event stream.
import type { WireReply } from './fake-wire.js';
import { pieces } from './fake-wire.js';

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The encrypted reasoning the fake returns (and accepts back). */
export const ENCRYPTED_REASONING = 'gAAAAfake-encrypted-reasoning';

function usage(reply: WireReply): Obj {
  return {
    input_tokens: reply.usage.inputTokens,
    input_tokens_details: { cached_tokens: reply.usage.cacheReadTokens ?? 0 },
    output_tokens: reply.usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: reply.usage.inputTokens + reply.usage.outputTokens,
  };
}

function outputItems(reply: WireReply): Obj[] {
  const items: Obj[] = [];
  if (reply.reasoning !== '') {
    items.push({
      type: 'reasoning',
      id: `rs_${reply.id}`,
      summary: [{ type: 'summary_text', text: reply.reasoning }],
      encrypted_content: ENCRYPTED_REASONING,
    });
  }
  if (reply.text !== '') {
    items.push({
      type: 'message',
      id: `msg_${reply.id}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    });
  }
  for (const call of reply.toolCalls) {
    items.push({
      type: 'function_call',
      id: `fc_${call.id}`,
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.arguments),
      status: 'completed',
    });
  }
  return items;
}

function responseObject(reply: WireReply, status: string, output: Obj[]): Obj {
  const incomplete = reply.stopReason === 'max_tokens' || reply.stopReason === 'content_filter';
  return {
    id: `resp_${reply.id}`,
    object: 'response',
    created_at: 1_700_000_000,
    status: status === 'completed' && incomplete ? 'incomplete' : status,
    incomplete_details:
      status === 'completed' && incomplete
        ? { reason: reply.stopReason === 'max_tokens' ? 'max_output_tokens' : 'content_filter' }
        : null,
    model: reply.model,
    output,
    usage: status === 'in_progress' ? null : usage(reply),
  };
}

/** A whole `response` object. */
export function responsesBody(reply: WireReply): string {
  return JSON.stringify(responseObject(reply, 'completed', outputItems(reply)));
}

function event(type: string, seq: number, data: Obj): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;
}

/** The Responses API event stream, `response.created` to `response.completed`. */
export function responsesFrames(reply: WireReply): string[] {
  let seq = 0;
  const frames = [
    event('response.created', seq++, { response: responseObject(reply, 'in_progress', []) }),
  ];
  const items = outputItems(reply);
  items.forEach((item, index) => {
    const opened =
      item.type === 'message'
        ? { ...item, content: [], status: 'in_progress' }
        : item.type === 'function_call'
          ? { ...item, arguments: '', status: 'in_progress' }
          : { ...item, summary: [] };
    frames.push(event('response.output_item.added', seq++, { output_index: index, item: opened }));
    if (item.type === 'message') {
      const part = { type: 'output_text', text: '', annotations: [] };
      const at = { item_id: item.id, output_index: index, content_index: 0 };
      frames.push(event('response.content_part.added', seq++, { ...at, part }));
      for (const piece of pieces(reply.text, reply.chunkSize)) {
        frames.push(
          event('response.output_text.delta', seq++, {
            item_id: item.id,
            output_index: index,
            content_index: 0,
            delta: piece,
          }),
        );
      }
      frames.push(event('response.output_text.done', seq++, { ...at, text: reply.text }));
      frames.push(
        event('response.content_part.done', seq++, { ...at, part: { ...part, text: reply.text } }),
      );
    } else if (item.type === 'function_call') {
      for (const piece of pieces(String(item.arguments), reply.chunkSize)) {
        frames.push(
          event('response.function_call_arguments.delta', seq++, {
            item_id: item.id,
            output_index: index,
            delta: piece,
          }),
        );
      }
      frames.push(
        event('response.function_call_arguments.done', seq++, {
          item_id: item.id,
          output_index: index,
          arguments: item.arguments,
        }),
      );
    } else {
      for (const piece of pieces(reply.reasoning, reply.chunkSize)) {
        frames.push(
          event('response.reasoning_summary_text.delta', seq++, {
            item_id: item.id,
            output_index: index,
            summary_index: 0,
            delta: piece,
          }),
        );
      }
    }
    frames.push(event('response.output_item.done', seq++, { output_index: index, item }));
  });
  const done = responseObject(reply, 'completed', items);
  frames.push(
    event(done.status === 'incomplete' ? 'response.incomplete' : 'response.completed', seq++, {
      response: done,
    }),
  );
  return frames;
}

/** A Responses API request body's problem, or `undefined` when it is well formed. */
export function responsesProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  const input = body.input;
  if (typeof input === 'string') return undefined;
  if (!Array.isArray(input) || input.length === 0)
    return 'input must be a string or a non-empty array';
  const calls = new Set<string>();
  for (const [i, item] of input.entries()) {
    if (!isObj(item)) return `input[${i}] must be an object`;
    if (item.type === 'function_call') {
      if (
        typeof item.call_id !== 'string' ||
        typeof item.name !== 'string' ||
        typeof item.arguments !== 'string'
      )
        return `input[${i}]: function_call needs call_id, name and arguments`;
      calls.add(item.call_id);
    } else if (item.type === 'function_call_output') {
      if (typeof item.call_id !== 'string' || !calls.has(item.call_id))
        return `No tool call found for function call output with call_id ${String(item.call_id)}.`;
    } else if (item.type === 'reasoning') {
      if (item.encrypted_content !== undefined && item.encrypted_content !== ENCRYPTED_REASONING)
        return `input[${i}]: The encrypted content could not be verified.`;
    } else if (item.type === 'message' || item.role !== undefined) {
      if (!['user', 'assistant', 'system', 'developer'].includes(item.role as string))
        return `input[${i}].role is not supported`;
      if (typeof item.content !== 'string' && !Array.isArray(item.content))
        return `input[${i}].content must be a string or an array`;
    } else {
      return `input[${i}].type ${String(item.type)} is not supported`;
    }
  }
  return undefined;
}
