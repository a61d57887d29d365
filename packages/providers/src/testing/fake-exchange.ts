// What the fake server decides about one request, without touching sockets: its protocol, why
// it is refused, and the frames of its answer.
import type { IncomingHttpHeaders } from 'node:http';
import { openaiBody, openaiFrames } from './fake-openai.js';
import type { FakeQuirk } from './fake-quirks.js';
import { quirkProblem } from './fake-quirks.js';
import { responsesBody, responsesFrames, responsesProblem } from './fake-responses.js';
import type { FakeFault, FakeReply, RecordedRequest } from './fake-types.js';
import { anthropicProblem, openaiProblem } from './fake-validate.js';
import type { WireReply } from './fake-wire.js';
import { anthropicBody, anthropicFrames, THINKING_SIGNATURE } from './fake-wire.js';

export type Protocol = RecordedRequest['protocol'];

/** Models that refuse sampling parameters (Claude Opus 4.7 and later, Claude 5). */
const FIXED_SAMPLING =
  /claude-(?:opus-4-(?:[7-9]|\d\d)|(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|\d\d))/;

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The protocol a path speaks, or none (a 404). */
export function protocolOf(path: string): Protocol | undefined {
  if (path.endsWith('/chat/completions')) return 'openai';
  if (path.endsWith('/messages')) return 'anthropic';
  if (path.endsWith('/responses')) return 'openai-responses';
  return undefined;
}

export function promptTokens(body: unknown): number {
  const b = body as { system?: unknown; messages?: unknown; input?: unknown; tools?: unknown };
  return approxTokens(JSON.stringify([b.system, b.messages, b.input, b.tools]));
}

export function contextLengthBody(protocol: Protocol, tokens: number, max: number): string {
  if (protocol === 'anthropic') {
    return JSON.stringify({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `prompt is too long: ${tokens} tokens > ${max} maximum`,
      },
    });
  }
  return JSON.stringify({
    error: {
      message: `This model's maximum context length is ${max} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  });
}

/**
 * Why the real API would answer 401 or 400 (credentials, API version, the body), or nothing.
 */
export function refusalOf(
  protocol: Protocol,
  headers: IncomingHttpHeaders,
  body: unknown,
  apiKey: string | undefined,
  quirks: ReadonlySet<FakeQuirk>,
): { status: number; message: string } | undefined {
  const bearer = /^Bearer (.*)$/.exec(headers.authorization ?? '')?.[1];
  const key = protocol === 'anthropic' ? (headers['x-api-key'] ?? bearer) : bearer;
  if (protocol === 'anthropic' && typeof key !== 'string')
    return { status: 401, message: 'x-api-key header is required' };
  if (apiKey !== undefined && key !== apiKey) return { status: 401, message: 'invalid api key' };
  const problem = versionProblem(protocol, headers) ?? bodyProblem(protocol, headers, body, quirks);
  return problem === undefined ? undefined : { status: 400, message: problem };
}

function versionProblem(protocol: Protocol, headers: IncomingHttpHeaders): string | undefined {
  if (protocol !== 'anthropic') return undefined;
  const version = headers['anthropic-version'];
  if (version === undefined) return 'anthropic-version header is required';
  if (version !== '2023-06-01' && version !== '2026-10-21')
    return `anthropic-version: unknown version ${version}`;
  return undefined;
}

function bodyProblem(
  protocol: Protocol,
  headers: IncomingHttpHeaders,
  body: unknown,
  quirks: ReadonlySet<FakeQuirk>,
): string | undefined {
  if (protocol === 'openai') return openaiProblem(body) ?? quirkProblem(body, quirks);
  if (protocol === 'anthropic')
    return (
      anthropicProblem(body, THINKING_SIGNATURE) ??
      samplingProblem(body, headers['anthropic-version'] === '2026-10-21')
    );
  return responsesProblem(body);
}

/**
 * Sampling parameters, refused as the real API does: by every model under API version
 * 2026-10-21, and by the newer models (Opus 4.7 and later, Claude 5) under 2023-06-01.
 */
function samplingProblem(body: unknown, removed: boolean): string | undefined {
  const b = body as { model?: unknown; temperature?: unknown; top_p?: unknown; top_k?: unknown };
  if (!removed && (typeof b.model !== 'string' || !FIXED_SAMPLING.test(b.model))) return undefined;
  for (const name of ['temperature', 'top_p', 'top_k'] as const)
    if (b[name] !== undefined) return `\`${name}\` is deprecated for this model.`;
  return undefined;
}

export function normalise(
  reply: FakeReply,
  body: unknown,
  requestId: string,
  quirks: ReadonlySet<FakeQuirk>,
): WireReply {
  const text = reply.text ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${requestId}_${index}`,
    name: call.name,
    arguments: call.arguments,
  }));
  const request = body as { model?: unknown; stream_options?: { include_usage?: unknown } };
  const chunkSize = reply.chunkSize ?? 4;
  return {
    id: `msg_${requestId}`,
    model: typeof request.model === 'string' ? request.model : 'fake',
    text,
    toolCalls,
    usage: reply.usage ?? {
      inputTokens: approxTokens(JSON.stringify(body)),
      outputTokens: approxTokens(text + JSON.stringify(toolCalls)),
    },
    stopReason: reply.stopReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'end'),
    chunkSize: Number.isInteger(chunkSize) && chunkSize > 0 ? chunkSize : 4,
    // Anthropic always reports usage; OpenAI only when asked.
    includeUsage: request.stream_options?.include_usage === true,
    reasoning: reply.reasoning ?? '',
    quirks,
  };
}

/** The answer as the pieces it is written in: SSE frames, or a whole body in two halves. */
export function framesOf(
  protocol: Protocol,
  stream: boolean,
  wire: WireReply,
  fault: FakeFault | undefined,
): string[] {
  if (stream) {
    const frames =
      protocol === 'openai'
        ? openaiFrames(wire)
        : protocol === 'anthropic'
          ? anthropicFrames(wire)
          : responsesFrames(wire);
    if (fault?.kind === 'malformed-json') frames.splice(1, 0, 'data: {"choices": [oops\n\n');
    if (wire.quirks.has('bom')) frames[0] = `\uFEFF${frames[0]}`;
    return frames;
  }
  const whole =
    fault?.kind === 'malformed-json'
      ? '{"id": "broken", "content": ['
      : protocol === 'openai'
        ? openaiBody(wire)
        : protocol === 'anthropic'
          ? anthropicBody(wire)
          : responsesBody(wire);
  const half = Math.floor(whole.length / 2);
  // Split so a stall or reset "mid-body" has something before it.
  return [whole.slice(0, half), whole.slice(half)];
}
