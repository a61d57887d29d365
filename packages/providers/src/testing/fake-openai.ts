// Chat Completions answers as the fake frames them, quirks included.
import type { FakeQuirk } from './fake-quirks.js';
import { THOUGHT_SIGNATURE } from './fake-quirks.js';
import type { WireReply } from './fake-wire.js';
import { OPENAI_FINISH, openaiUsage, pieces } from './fake-wire.js';

type Obj = Record<string, unknown>;
type Call = WireReply['toolCalls'][number];

function callId(call: Call, position: number, quirks: ReadonlySet<FakeQuirk>): unknown {
  if (quirks.has('integer-ids')) return 1000 + position;
  return call.id;
}

function argumentsOf(call: Call, quirks: ReadonlySet<FakeQuirk>): unknown {
  return quirks.has('object-arguments') ? call.arguments : JSON.stringify(call.arguments);
}

function extra(quirks: ReadonlySet<FakeQuirk>): Obj {
  return quirks.has('gemini-thought-signature')
    ? { extra_content: { google: { thought_signature: THOUGHT_SIGNATURE } } }
    : {};
}

/** The message's content (and reasoning field) as the server would send them. */
function contentFields(text: string, reasoning: string, quirks: ReadonlySet<FakeQuirk>): Obj {
  if (quirks.has('mistral-content-parts')) {
    const parts: Obj[] = [];
    if (reasoning !== '')
      parts.push({ type: 'thinking', thinking: [{ type: 'text', text: reasoning }] });
    if (text !== '') parts.push({ type: 'text', text });
    return { content: parts };
  }
  const fields: Obj = { content: text };
  if (reasoning !== '') fields.reasoning_content = reasoning;
  return fields;
}

/** A whole `chat.completion` object. */
export function openaiBody(reply: WireReply): string {
  const { quirks } = reply;
  const message: Obj = {
    role: 'assistant',
    ...contentFields(reply.text, reply.reasoning, quirks),
    refusal: null,
  };
  if (reply.text === '' && reply.toolCalls.length > 0 && !quirks.has('mistral-content-parts'))
    message.content = null;
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((call, position) => ({
      id: quirks.has('empty-ids') ? '' : callId(call, position, quirks),
      type: 'function',
      function: { name: call.name, arguments: argumentsOf(call, quirks) },
      ...extra(quirks),
    }));
  }
  return JSON.stringify({
    id: reply.id,
    object: 'chat.completion',
    created: 1_700_000_000,
    model: reply.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: OPENAI_FINISH[reply.stopReason] },
    ],
    usage: openaiUsage(reply.usage),
  });
}

/** `chat.completion.chunk` SSE frames, ending with `data: [DONE]`. */
export function openaiFrames(reply: WireReply): string[] {
  const { quirks } = reply;
  const chunk = (delta: Obj, finish: string | null = null): string =>
    `data: ${JSON.stringify({
      id: reply.id,
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: reply.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(reply.includeUsage ? { usage: null } : {}),
    })}\n\n`;
  // With a byte order mark in front, the first frame is one that matters (as with the servers
  // that send it): no empty role-only chunk first.
  const frames = quirks.has('bom') ? [] : [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces(reply.reasoning, reply.chunkSize))
    frames.push(chunk(contentFields('', piece, quirks)));
  for (const piece of pieces(reply.text, reply.chunkSize))
    frames.push(chunk(contentFields(piece, '', quirks)));
  reply.toolCalls.forEach((call, position) => {
    const id = callId(call, position, quirks);
    if (quirks.has('ollama-index0')) {
      // Ollama sends each call whole, all at index 0.
      frames.push(
        chunk({
          tool_calls: [
            {
              index: 0,
              id,
              type: 'function',
              function: { name: call.name, arguments: argumentsOf(call, quirks) },
              ...extra(quirks),
            },
          ],
        }),
      );
      return;
    }
    const index = quirks.has('index-from-1') ? position + 1 : position;
    frames.push(
      chunk({
        tool_calls: [
          {
            index,
            id,
            type: 'function',
            function: {
              name: call.name,
              arguments: quirks.has('object-arguments') ? undefined : '',
            },
            ...extra(quirks),
          },
        ],
      }),
    );
    if (quirks.has('object-arguments')) {
      frames.push(chunk({ tool_calls: [{ index, function: { arguments: call.arguments } }] }));
      return;
    }
    const continuation: Obj = quirks.has('qwen-empty-id') ? { id: '', type: 'function' } : {};
    for (const piece of pieces(JSON.stringify(call.arguments), reply.chunkSize)) {
      frames.push(
        chunk({ tool_calls: [{ index, ...continuation, function: { arguments: piece } }] }),
      );
    }
  });
  if (quirks.has('vllm-error-400')) {
    frames.push(
      `data: ${JSON.stringify({
        error: {
          object: 'error',
          message: 'guided decoding failed: invalid grammar',
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      })}\n\n`,
    );
    return frames;
  }
  frames.push(chunk({}, OPENAI_FINISH[reply.stopReason]));
  if (reply.includeUsage) {
    frames.push(
      `data: ${JSON.stringify({
        id: reply.id,
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: reply.model,
        choices: [],
        usage: openaiUsage(reply.usage),
      })}\n\n`,
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}
