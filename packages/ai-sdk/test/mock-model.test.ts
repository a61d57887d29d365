import type {
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { APICallError } from '@ai-sdk/provider';
import { aiSdkModel } from '@troupe/ai-sdk';
import type { ModelDelta, ModelRequest, RateLimitFeedback } from '@troupe/core';
import { SimulatedClock } from '@troupe/core';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';

// The adapter against the AI SDK's own mock model: what it sends, what it reads.

const usage = (input: number, output: number, cacheRead?: number): LanguageModelV3Usage => ({
  inputTokens: {
    total: input,
    noCache: input - (cacheRead ?? 0),
    cacheRead,
    cacheWrite: undefined,
  },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

const stop = { unified: 'stop' as const, raw: 'stop' };
const toolCalls = { unified: 'tool-calls' as const, raw: 'tool_calls' };

function streamOf(parts: LanguageModelV3StreamPart[]): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

const tool = {
  name: 'search',
  description: 'Search',
  parameters: { type: 'object', properties: { q: { type: 'string' } } },
};

describe('aiSdkModel with MockLanguageModelV3', () => {
  it('maps the request: system, multimodal user parts, tool calls and results, tools, choice, format', async () => {
    const mock = new MockLanguageModelV3({
      doGenerate: {
        content: [{ type: 'text', text: 'ok' }],
        finishReason: stop,
        usage: usage(1, 1),
        warnings: [],
      },
    });
    const request: ModelRequest = {
      system: 'Be brief.',
      messages: [
        {
          role: 'user',
          content: 'Look',
          parts: [
            { type: 'text', text: 'Look' },
            { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
            {
              type: 'document',
              mediaType: 'application/pdf',
              url: 'https://example.com/a.pdf',
              filename: 'a.pdf',
            },
          ],
        },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'search', arguments: { q: 'x' } }],
        },
        { role: 'tool', toolCallId: 'c1', name: 'search', content: 'found', isError: true },
      ],
      tools: [tool],
      toolChoice: 'required',
      maxOutputTokens: 50,
      temperature: 0.3,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } },
    };
    await aiSdkModel({ model: mock }).generate(request);
    const call = mock.doGenerateCalls[0] as LanguageModelV3CallOptions;
    expect(call.prompt).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
          {
            type: 'file',
            mediaType: 'application/pdf',
            data: new URL('https://example.com/a.pdf'),
            filename: 'a.pdf',
          },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: { q: 'x' } }],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'c1',
            toolName: 'search',
            output: { type: 'error-text', value: 'found' },
          },
        ],
      },
    ]);
    expect(call.tools).toEqual([
      { type: 'function', name: 'search', description: 'Search', inputSchema: tool.parameters },
    ]);
    expect(call.toolChoice).toEqual({ type: 'required' });
    expect(call.responseFormat).toEqual({
      type: 'json',
      name: 'answer',
      schema: { type: 'object' },
    });
    expect([call.maxOutputTokens, call.temperature]).toEqual([50, 0.3]);
  });

  it('reads a whole answer: text, reasoning, tool calls with their metadata, usage and cost', async () => {
    const mock = new MockLanguageModelV3({
      doGenerate: {
        content: [
          {
            type: 'reasoning',
            text: 'Think.',
            providerMetadata: { anthropic: { signature: 'sig' } },
          },
          { type: 'text', text: 'Searching.' },
          {
            type: 'tool-call',
            toolCallId: 't1',
            toolName: 'search',
            input: '{"q":"troupe"}',
            providerMetadata: { google: { thoughtSignature: 'ts' } },
          },
        ],
        finishReason: toolCalls,
        usage: usage(1_000, 20, 800),
        warnings: [],
      },
    });
    const answer = await aiSdkModel({
      model: mock,
      pricing: { inputPerMTok: 1, outputPerMTok: 4, cacheReadPerMTok: 0.1 },
    }).generate({
      messages: [{ role: 'user', content: 'go' }],
      tools: [tool],
    });
    expect(answer).toMatchObject({
      text: 'Searching.',
      reasoning: 'Think.',
      stopReason: 'tool_calls',
      toolCalls: [
        {
          id: 't1',
          name: 'search',
          arguments: { q: 'troupe' },
          providerData: { 'ai-sdk': { google: { thoughtSignature: 'ts' } } },
        },
      ],
      usage: { inputTokens: 1_000, outputTokens: 20, cacheReadTokens: 800 },
    });
    expect(answer.usage.costUsd).toBeCloseTo((200 * 1 + 800 * 0.1 + 20 * 4) / 1e6, 12);

    // Sent back next turn: the reasoning with its signature, the call with its metadata.
    await aiSdkModel({ model: mock }).generate({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: answer.text,
          toolCalls: answer.toolCalls,
          ...(answer.providerData === undefined ? {} : { providerData: answer.providerData }),
        },
        { role: 'tool', toolCallId: 't1', name: 'search', content: 'r' },
      ],
      tools: [tool],
    });
    expect(mock.doGenerateCalls[1]?.prompt[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Think.', providerOptions: { anthropic: { signature: 'sig' } } },
        { type: 'text', text: 'Searching.' },
        {
          type: 'tool-call',
          toolCallId: 't1',
          toolName: 'search',
          input: { q: 'troupe' },
          providerOptions: { google: { thoughtSignature: 'ts' } },
        },
      ],
    });
  });

  it('streams text, reasoning and tool-call deltas, and reads the finish usage', async () => {
    const mock = new MockLanguageModelV3({
      doStream: {
        stream: streamOf([
          { type: 'stream-start', warnings: [] },
          { type: 'reasoning-start', id: 'r' },
          { type: 'reasoning-delta', id: 'r', delta: 'Hmm' },
          { type: 'reasoning-end', id: 'r' },
          { type: 'text-start', id: 'x' },
          { type: 'text-delta', id: 'x', delta: 'Hel' },
          { type: 'text-delta', id: 'x', delta: 'lo' },
          { type: 'text-end', id: 'x' },
          { type: 'tool-input-start', id: 'call_7', toolName: 'search' },
          { type: 'tool-input-delta', id: 'call_7', delta: '{"q":' },
          { type: 'tool-input-delta', id: 'call_7', delta: '"a"}' },
          { type: 'tool-input-end', id: 'call_7' },
          { type: 'tool-call', toolCallId: 'call_7', toolName: 'search', input: '{"q":"a"}' },
          { type: 'finish', usage: usage(30, 9), finishReason: toolCalls },
        ]),
        response: { headers: { 'x-ratelimit-remaining-tokens': '900' } },
      },
    });
    const deltas: ModelDelta[] = [];
    const heard: RateLimitFeedback[] = [];
    const answer = await aiSdkModel({ model: mock }).generate({
      messages: [{ role: 'user', content: 'go' }],
      tools: [tool],
      onDelta: (delta) => deltas.push(delta),
      onRateLimit: (feedback) => heard.push(feedback),
    });
    expect(deltas).toEqual([
      { type: 'reasoning', text: 'Hmm' },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'tool-call', index: 0, id: 'call_7', name: 'search', argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call', index: 0, argumentsDelta: '"a"}' },
    ]);
    expect(answer).toMatchObject({
      text: 'Hello',
      reasoning: 'Hmm',
      toolCalls: [{ id: 'call_7', name: 'search', arguments: { q: 'a' } }],
      usage: { inputTokens: 30, outputTokens: 9 },
      stopReason: 'tool_calls',
    });
    expect(heard).toEqual([{ remainingTokens: 900 }]);
  });

  it('reads rate-limit headers whatever their case, Anthropic reset times on the clock, waits capped', async () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T12:00:00Z'));
    const mock = new MockLanguageModelV3({
      doGenerate: {
        content: [{ type: 'text', text: 'ok' }],
        finishReason: stop,
        usage: usage(1, 1),
        warnings: [],
        response: {
          headers: {
            'Anthropic-RateLimit-Requests-Remaining': '49',
            'anthropic-ratelimit-tokens-reset': '2026-03-01T12:00:30Z',
            'anthropic-ratelimit-requests-reset': '2026-03-01T13:00:00Z',
          },
        },
      },
    });
    const heard: RateLimitFeedback[] = [];
    await aiSdkModel({ model: mock, clock, maxRetryAfterMs: 60_000 }).generate({
      messages: [{ role: 'user', content: 'go' }],
      tools: [],
      onRateLimit: (f) => heard.push(f),
    });
    expect(heard).toEqual([
      { remainingRequests: 49, resetRequestsMs: 60_000, resetTokensMs: 30_000 },
    ]);
  });

  it('retries a retryable API error on the clock, honouring retry-after, capped feedback', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    const mock = new MockLanguageModelV3({
      doGenerate: async () => {
        calls++;
        if (calls === 1) {
          throw new APICallError({
            message: 'Too many requests',
            url: 'http://x',
            requestBodyValues: {},
            statusCode: 429,
            responseHeaders: { 'retry-after': '2' },
            isRetryable: true,
          });
        }
        return {
          content: [{ type: 'text', text: 'ok' }],
          finishReason: stop,
          usage: usage(1, 1),
          warnings: [],
        };
      },
    });
    const heard: RateLimitFeedback[] = [];
    const answer = aiSdkModel({ model: mock, clock, maxRetryAfterMs: 5_000 }).generate({
      messages: [{ role: 'user', content: 'go' }],
      tools: [],
      onRateLimit: (f) => heard.push(f),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    await clock.advance(2_000);
    expect((await answer).text).toBe('ok');
    expect(calls).toBe(2);
    expect(heard).toEqual([{ retryAfterMs: 2_000 }]);
  });

  it('maps errors: auth, context length, and a retry-after past maxRetryAfterMs fails at once', async () => {
    const failing = (statusCode: number, message: string, headers: Record<string, string> = {}) =>
      new MockLanguageModelV3({
        doGenerate: async () => {
          throw new APICallError({
            message,
            url: 'http://x',
            requestBodyValues: {},
            statusCode,
            responseHeaders: headers,
            isRetryable: statusCode === 429 || statusCode >= 500,
          });
        },
      });
    const ask = { messages: [{ role: 'user' as const, content: 'go' }], tools: [] };
    await expect(
      aiSdkModel({ model: failing(401, 'bad key') }).generate(ask),
    ).rejects.toMatchObject({ code: 'ERR_PROVIDER_AUTH' });
    await expect(
      aiSdkModel({
        model: failing(400, "This model's maximum context length is 32768 tokens"),
      }).generate(ask),
    ).rejects.toMatchObject({ code: 'ERR_CONTEXT_LENGTH' });
    await expect(
      aiSdkModel({ model: failing(429, 'slow down', { 'retry-after': '3600' }) }).generate(ask),
    ).rejects.toMatchObject({
      code: 'ERR_PROVIDER_RATE_LIMITED',
      details: { retryAfterMs: 3_600_000 },
    });
  });

  it('an abort settles the call at once with ERR_ABORTED and reaches the provider', async () => {
    let seen: AbortSignal | undefined;
    const mock = new MockLanguageModelV3({
      doGenerate: (options) => {
        seen = options.abortSignal;
        return new Promise(() => {});
      },
    });
    const controller = new AbortController();
    const call = aiSdkModel({ model: mock }).generate({
      messages: [{ role: 'user', content: 'go' }],
      tools: [],
      signal: controller.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('user cancelled'));
    await expect(call).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(seen?.aborted).toBe(true);
  });

  it('estimates a request for the limiter from its size and output allowance', () => {
    const model = aiSdkModel({ model: new MockLanguageModelV3() });
    const small = model.estimateTokens?.({
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
      tools: [],
    });
    const large = model.estimateTokens?.({
      messages: [{ role: 'user', content: 'x'.repeat(4_000) }],
      tools: [],
      maxOutputTokens: 100,
    });
    expect(small).toBe(100);
    expect(large).toBe(1_100);
  });

  it('refuses a model that is not a LanguageModelV3 and unknown options', () => {
    expect(() => aiSdkModel({ model: {} as never })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() =>
      aiSdkModel({ model: new MockLanguageModelV3(), retries: 3 } as never),
    ).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
