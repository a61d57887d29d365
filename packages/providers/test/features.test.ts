import type { ChatMessage, Model, ModelDelta, ModelRequest, RateLimitFeedback } from '@troupe/core';
import { SimulatedClock } from '@troupe/core';
import type { RetryInfo } from '@troupe/providers';
import {
  anthropic,
  closeProviderPools,
  openaiCompatible,
  openaiResponses,
} from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

// Current API features through the public API against the fake server: tool choice, parallel
// calls, images and documents, structured output, reasoning round trips, prompt-cache hints,
// context-length errors, the SDK retry policy and the Responses API.

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer();
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const tool = {
  name: 'verdict',
  description: 'Give a verdict',
  parameters: { type: 'object', properties: { ok: { type: 'boolean' } } },
};
const png = 'iVBORw0KGgoAAAANSUhEUg==';
const pdf = 'JVBERi0xLjQK';
const multimodal: ChatMessage = {
  role: 'user',
  content: 'What is in these?',
  parts: [
    { type: 'image', mediaType: 'image/png', data: png },
    { type: 'image', mediaType: 'image/jpeg', url: 'https://example.com/cat.jpg' },
    { type: 'document', mediaType: 'application/pdf', data: pdf, filename: 'spec.pdf' },
    { type: 'text', text: 'What is in these?' },
  ],
};
const full: ModelRequest = {
  system: 'Judge.',
  messages: [multimodal],
  tools: [tool],
  toolChoice: { type: 'tool', name: 'verdict' },
  parallelToolCalls: false,
  responseFormat: { type: 'json_schema', name: 'verdict', schema: { type: 'object' } },
};

const gpt = (extra: object = {}): Model =>
  openaiCompatible({ baseURL: server.openaiBaseURL, model: 'gpt-4.1', ...extra });
const claude = (extra: object = {}): Model =>
  anthropic({
    baseURL: server.anthropicBaseURL,
    apiKey: 'sk-ant-test',
    model: 'claude-sonnet-5-5',
    ...extra,
  });
const responses = (extra: object = {}): Model =>
  openaiResponses({
    baseURL: server.openaiBaseURL,
    apiKey: 'sk-test',
    model: 'gpt-5-mini',
    ...extra,
  });

const body = (index = 0) => server.requests[index]?.body as Record<string, unknown>;

describe('Chat Completions request features', () => {
  it('sends tool_choice, parallel_tool_calls, content parts and response_format', async () => {
    server.reply({ text: '{"ok":true}' });
    await gpt().generate(full);
    const sent = body();
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'verdict' } });
    expect(sent.parallel_tool_calls).toBe(false);
    expect(sent.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'verdict', schema: { type: 'object' }, strict: true },
    });
    expect((sent.messages as unknown[])[1]).toEqual({
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        {
          type: 'file',
          file: { filename: 'spec.pdf', file_data: `data:application/pdf;base64,${pdf}` },
        },
        { type: 'text', text: 'What is in these?' },
      ],
    });
  });

  it('a context-length refusal is ERR_CONTEXT_LENGTH and not retried', async () => {
    await server.close();
    server = await createFakeModelServer({ maxContextTokens: 50, replies: [{ text: 'never' }] });
    const error = await gpt({ maxRetries: 3 })
      .generate({ messages: [{ role: 'user', content: 'x'.repeat(1_000) }], tools: [] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CONTEXT_LENGTH', details: { status: 400 } });
    expect(server.requests).toHaveLength(1);
  });
});

describe('retry policy as the official SDKs have it', () => {
  const retries = async (status: number, headers: Record<string, string> = {}): Promise<number> => {
    server.reply({ fault: { kind: 'status', status }, headers }, { text: 'ok' });
    const seen: RetryInfo[] = [];
    const model = gpt({
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 2,
      onRetry: (info: RetryInfo) => seen.push(info),
    });
    await model
      .generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })
      .catch(() => undefined);
    return seen.length;
  };

  it.each([408, 409, 429, 500, 503])('retries %i', async (status) => {
    expect(await retries(status)).toBe(1);
  });

  it.each([400, 404, 422])('does not retry %i', async (status) => {
    expect(await retries(status)).toBe(0);
  });

  it('x-should-retry: false stops a retry the status would allow', async () => {
    expect(await retries(503, { 'x-should-retry': 'false' })).toBe(0);
  });

  it('x-should-retry: true retries a status that would not be', async () => {
    expect(await retries(400, { 'x-should-retry': 'true' })).toBe(1);
  });

  it('waits retry-after-ms, retry-after in seconds and as a date', async () => {
    const clock = new SimulatedClock(Date.parse('2026-01-01T00:00:00Z'));
    const delays: number[] = [];
    let heard: () => void = () => {};
    const nextRetry = () =>
      new Promise<number>((resolve) => {
        heard = () => resolve(delays.at(-1) ?? 0);
      });
    const model = gpt({
      clock,
      maxRetries: 3,
      onRetry: (info: RetryInfo) => {
        delays.push(info.delayMs);
        heard();
      },
    });
    server.reply(
      { fault: { kind: 'status', status: 429, retryAfterMs: 250 } },
      { fault: { kind: 'status', status: 429, retryAfter: '2' } },
      { fault: { kind: 'status', status: 503, retryAfter: 'Thu, 01 Jan 2026 00:00:05 GMT' } },
      { text: 'ok' },
    );
    let retry = nextRetry();
    const call = model.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] });
    for (let i = 0; i < 3; i++) {
      const delay = await retry;
      retry = nextRetry();
      await clock.advance(delay);
    }
    expect((await call).text).toBe('ok');
    expect(delays.slice(0, 2)).toEqual([250, 2_000]);
    // The date is 5 s after the clock's start; 2.25 s have passed on it by then.
    expect(delays[2]).toBe(5_000 - 2_250);
  });
});

describe('Anthropic request features', () => {
  it('accepts Authorization: Bearer instead of x-api-key', async () => {
    server.reply({ text: 'ok' });
    await anthropic({
      baseURL: server.anthropicBaseURL,
      authToken: 'oauth-token-1',
      model: 'claude-haiku-5-5',
    }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer oauth-token-1');
    expect(server.requests[0]?.headers['x-api-key']).toBeUndefined();
    expect(server.requests[0]?.headers['anthropic-version']).toBe('2026-10-21');
  });

  it('sends no temperature on the current API version, which removed it', async () => {
    server.reply({ text: 'a' });
    await claude({ model: 'claude-sonnet-4-5' }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      temperature: 0.2,
    });
    expect(body(0).temperature).toBeUndefined();
  });

  it('on 2023-06-01, sends temperature only to a model that takes it', async () => {
    server.reply({ text: 'a' }, { text: 'b' });
    const ask = {
      messages: [{ role: 'user' as const, content: 'hi' }],
      tools: [],
      temperature: 0.2,
    };
    await claude({ model: 'claude-opus-4-7', anthropicVersion: '2023-06-01' }).generate(ask);
    await claude({ model: 'claude-sonnet-4-5', anthropicVersion: '2023-06-01' }).generate(ask);
    expect(body(0).temperature).toBeUndefined();
    expect(body(1).temperature).toBe(0.2);
  });

  it('maps tool choice, parallel calls, images, documents and the JSON schema format', async () => {
    server.reply({ text: '{"ok":true}' });
    await claude().generate(full);
    const sent = body();
    expect(sent.tool_choice).toEqual({
      type: 'tool',
      name: 'verdict',
      disable_parallel_tool_use: true,
    });
    expect(sent.output_config).toEqual({
      format: { type: 'json_schema', schema: { type: 'object' } },
    });
    expect((sent.messages as { content: unknown }[])[0]?.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: pdf },
        title: 'spec.pdf',
      },
      { type: 'text', text: 'What is in these?' },
    ]);
  });

  it('places cache_control on hinted messages beside system and tools, within four breakpoints', async () => {
    server.reply({
      text: 'ok',
      usage: {
        inputTokens: 5_000,
        outputTokens: 10,
        cacheReadTokens: 4_000,
        cacheWriteTokens: 500,
      },
    });
    const messages: ChatMessage[] = [
      { role: 'user', content: 'summary of earlier turns', cache: true },
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: 'older', cache: true },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'latest', cache: true },
    ];
    const answer = await claude({
      promptCaching: true,
      pricing: {
        inputPerMTok: 3,
        outputPerMTok: 15,
        cacheReadPerMTok: 0.3,
        cacheWritePerMTok: 3.75,
      },
    }).generate({ system: 'You are terse.', messages, tools: [tool] });
    const sent = body() as {
      messages: { content: unknown }[];
      system: unknown[];
      tools: unknown[];
    };
    const marked = JSON.stringify(sent).split('"cache_control"').length - 1;
    expect(marked).toBe(4);
    // system + tools take two; the two latest hints get the others.
    expect(sent.messages[0]?.content).toBe('summary of earlier turns');
    expect(sent.messages[2]?.content).toEqual([
      { type: 'text', text: 'older', cache_control: { type: 'ephemeral' } },
    ]);
    expect(sent.messages[4]?.content).toEqual([
      { type: 'text', text: 'latest', cache_control: { type: 'ephemeral' } },
    ]);
    expect(answer.usage).toMatchObject({
      inputTokens: 5_000,
      cacheReadTokens: 4_000,
      cacheWriteTokens: 500,
    });
    // 500 plain at $3, 4000 read at $0.30, 500 written at $3.75, 10 out at $15 (per million).
    expect(answer.usage.costUsd).toBeCloseTo(
      (500 * 3 + 4_000 * 0.3 + 500 * 3.75 + 10 * 15) / 1e6,
      12,
    );
  });

  it.each([true, false])(
    'sends signed thinking blocks back with the tool calls (streamed: %s)',
    async (stream) => {
      server.reply(
        {
          reasoning: 'Let me decide.',
          toolCalls: [{ id: 'toolu_1', name: 'verdict', arguments: { ok: true } }],
        },
        { text: 'Decided.' },
      );
      const model = claude({ thinkingBudgetTokens: 2048, stream });
      const ask: ModelRequest = { messages: [{ role: 'user', content: 'Decide.' }], tools: [tool] };
      const first = await model.generate(stream ? { ...ask, onDelta: () => {} } : ask);
      expect(first.reasoning).toBe('Let me decide.');
      const next = await model.generate({
        ...ask,
        messages: [
          ...ask.messages,
          {
            role: 'assistant',
            content: first.text,
            toolCalls: first.toolCalls,
            ...(first.providerData === undefined ? {} : { providerData: first.providerData }),
          },
          { role: 'tool', toolCallId: 'toolu_1', name: 'verdict', content: 'recorded' },
        ],
      });
      expect(next.text).toBe('Decided.');
      expect(body(1).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    },
  );

  it("a prompt too long is ERR_CONTEXT_LENGTH (Anthropic's own error shape)", async () => {
    await server.close();
    server = await createFakeModelServer({ maxContextTokens: 50, replies: [{ text: 'never' }] });
    await expect(
      claude().generate({ messages: [{ role: 'user', content: 'x'.repeat(1_000) }], tools: [] }),
    ).rejects.toMatchObject({ code: 'ERR_CONTEXT_LENGTH' });
  });
});

describe('openaiResponses', () => {
  it('runs a tool round trip, keeping reasoning items across turns, with usage', async () => {
    server.reply(
      {
        reasoning: 'Need the tool.',
        toolCalls: [{ id: 'call_1', name: 'verdict', arguments: { ok: true } }],
        usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 64 },
      },
      { text: 'Verdict recorded.' },
    );
    const model = responses({
      pricing: { inputPerMTok: 1, outputPerMTok: 2, cacheReadPerMTok: 0.1 },
    });
    const ask: ModelRequest = {
      system: 'Judge.',
      messages: [{ role: 'user', content: 'Go' }],
      tools: [tool],
    };
    const first = await model.generate(ask);
    expect(first.toolCalls).toEqual([{ id: 'call_1', name: 'verdict', arguments: { ok: true } }]);
    expect(first.stopReason).toBe('tool_calls');
    expect(first.reasoning).toBe('Need the tool.');
    expect(first.usage).toMatchObject({ inputTokens: 100, outputTokens: 20, cacheReadTokens: 64 });
    const second = await model.generate({
      ...ask,
      messages: [
        ...ask.messages,
        {
          role: 'assistant',
          content: '',
          toolCalls: first.toolCalls,
          ...(first.providerData ? { providerData: first.providerData } : {}),
        },
        { role: 'tool', toolCallId: 'call_1', name: 'verdict', content: 'ok' },
      ],
    });
    expect(second.text).toBe('Verdict recorded.');
    const input = body(1).input as { type?: string }[];
    expect(input.map((item) => item.type ?? 'message')).toEqual([
      'message',
      'reasoning',
      'function_call',
      'function_call_output',
    ]);
    expect(body(1).instructions).toBe('Judge.');
    expect(body(1).store).toBe(false);
  });

  it('streams text and tool-call deltas and reports rate limits', async () => {
    server.reply({
      text: 'Hello',
      toolCalls: [{ id: 'call_9', name: 'verdict', arguments: { ok: false } }],
      headers: { 'x-ratelimit-remaining-requests': '7' },
    });
    const deltas: ModelDelta[] = [];
    const heard: RateLimitFeedback[] = [];
    const answer = await responses().generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [tool],
      onDelta: (d) => deltas.push(d),
      onRateLimit: (f) => heard.push(f),
    });
    expect(answer.text).toBe('Hello');
    expect(answer.toolCalls[0]).toMatchObject({ id: 'call_9', arguments: { ok: false } });
    expect(deltas.some((d) => d.type === 'tool-call' && d.id === 'call_9')).toBe(true);
    expect(heard).toEqual([{ remainingRequests: 7 }]);
  });

  it('sends the JSON schema format as text.format', async () => {
    server.reply({ text: '{}' });
    await responses().generate({ ...full, messages: [{ role: 'user', content: 'x' }] });
    expect(body().text).toEqual({
      format: { type: 'json_schema', name: 'verdict', schema: { type: 'object' }, strict: true },
    });
    expect(body().tool_choice).toEqual({ type: 'function', name: 'verdict' });
  });
});
