import type { ModelDelta, ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer({ apiKey: 'sk-ant-test' });
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const search = {
  name: 'search',
  description: 'Search the web',
  parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
};

function model(extra: Partial<Parameters<typeof anthropic>[0]> = {}) {
  return anthropic({
    baseURL: server.anthropicBaseURL,
    apiKey: 'sk-ant-test',
    model: 'claude-test',
    ...extra,
  });
}

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content }],
  tools: [],
  ...extra,
});

describe('anthropic without streaming', () => {
  it('returns the text, usage and stop reason', async () => {
    server.reply({ text: 'Bonjour', usage: { inputTokens: 20, outputTokens: 2 } });
    const answer = await model().generate(ask('hi'));
    expect(answer).toEqual({
      text: 'Bonjour',
      toolCalls: [],
      usage: { inputTokens: 20, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
      stopReason: 'end',
    });
  });

  it('sends x-api-key, anthropic-version, the system prompt at top level and max_tokens', async () => {
    server.reply({ text: 'ok' });
    await model({ maxTokens: 321 }).generate(ask('hi', { system: 'Be brief.' }));
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('sk-ant-test');
    expect(request?.headers['anthropic-version']).toBe('2026-10-21');
    expect(request?.body).toEqual({
      model: 'claude-test',
      max_tokens: 321,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('sends tools with input_schema', async () => {
    server.reply({ text: 'ok' });
    await model().generate(ask('hi', { tools: [search] }));
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ name: 'search', description: 'Search the web', input_schema: search.parameters }],
    });
  });

  it('marks the system prompt and the last tool for caching with promptCaching', async () => {
    const other = { ...search, name: 'fetch_page' };
    server.reply({
      text: 'ok',
      usage: { inputTokens: 900, outputTokens: 1, cacheReadTokens: 800 },
    });
    const answer = await model({ promptCaching: true }).generate(
      ask('hi', { system: 'Long instructions.', tools: [search, other] }),
    );
    expect(server.requests[0]?.body).toMatchObject({
      system: [{ type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral' } }],
      tools: [
        { name: 'search', input_schema: search.parameters },
        { name: 'fetch_page', cache_control: { type: 'ephemeral' } },
      ],
    });
    expect(server.requests[0]?.body).not.toHaveProperty(['tools', 0, 'cache_control']);
    expect(answer.usage.cacheReadTokens).toBe(800);
  });

  it('maps tool calls to tool_use blocks and merges consecutive tool results into one user turn', async () => {
    server.reply({ text: 'Both found.' });
    await model().generate({
      messages: [
        { role: 'user', content: 'Find a and b' },
        {
          role: 'assistant',
          content: 'Searching.',
          toolCalls: [
            { id: 'toolu_1', name: 'search', arguments: { q: 'a' } },
            { id: 'toolu_2', name: 'search', arguments: { q: 'b' } },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_1', name: 'search', content: 'found a' },
        { role: 'tool', toolCallId: 'toolu_2', name: 'search', content: 'b failed', isError: true },
        { role: 'user', content: 'Summarise.' },
      ],
      tools: [search],
    });
    expect(server.requests[0]?.body).toHaveProperty('messages', [
      { role: 'user', content: 'Find a and b' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Searching.' },
          { type: 'tool_use', id: 'toolu_1', name: 'search', input: { q: 'a' } },
          { type: 'tool_use', id: 'toolu_2', name: 'search', input: { q: 'b' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'found a' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'b failed', is_error: true },
          { type: 'text', text: 'Summarise.' },
        ],
      },
    ]);
  });

  it('parses tool_use blocks the model sends', async () => {
    server.reply({
      text: 'Let me look.',
      toolCalls: [{ id: 'toolu_7', name: 'search', arguments: { q: 'troupe' } }],
    });
    const answer = await model().generate(ask('look it up', { tools: [search] }));
    expect(answer.text).toBe('Let me look.');
    expect(answer.toolCalls).toEqual([
      { id: 'toolu_7', name: 'search', arguments: { q: 'troupe' } },
    ]);
    expect(answer.stopReason).toBe('tool_calls');
  });

  it('counts cache reads and writes into input tokens and reports them apart', async () => {
    server.reply({
      text: 'ok',
      usage: { inputTokens: 1000, outputTokens: 5, cacheReadTokens: 600, cacheWriteTokens: 300 },
    });
    const answer = await model().generate(ask('hi'));
    expect(server.requests.length).toBe(1);
    expect(answer.usage).toEqual({
      inputTokens: 1000,
      outputTokens: 5,
      cacheReadTokens: 600,
      cacheWriteTokens: 300,
    });
  });

  it('maps stop reasons', async () => {
    server.reply(
      { text: 'a', stopReason: 'max_tokens' },
      { text: 'b', stopReason: 'content_filter' },
      { text: 'c', stopReason: 'other' },
    );
    expect((await model().generate(ask('1'))).stopReason).toBe('max_tokens');
    expect((await model().generate(ask('2'))).stopReason).toBe('content_filter');
    expect((await model().generate(ask('3'))).stopReason).toBe('other');
  });
});

describe('anthropic streaming', () => {
  it('streams text_delta events as text deltas', async () => {
    server.reply({ text: 'Hello, world', chunkSize: 6 });
    const deltas: ModelDelta[] = [];
    const answer = await model().generate(ask('go', { onDelta: (d) => deltas.push(d) }));
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
    expect(deltas).toEqual([
      { type: 'text', text: 'Hello,' },
      { type: 'text', text: ' world' },
    ]);
    expect(answer.text).toBe('Hello, world');
    expect(answer.stopReason).toBe('end');
  });

  it('assembles input_json_delta fragments into tool calls numbered in order', async () => {
    server.reply({
      text: 'Two searches.',
      chunkSize: 4,
      toolCalls: [
        { id: 'toolu_a', name: 'search', arguments: { q: 'alpha' } },
        { id: 'toolu_b', name: 'search', arguments: { q: 'beta' } },
      ],
    });
    const deltas: ModelDelta[] = [];
    const answer = await model().generate(
      ask('go', { tools: [search], onDelta: (d) => deltas.push(d) }),
    );
    expect(answer.toolCalls).toEqual([
      { id: 'toolu_a', name: 'search', arguments: { q: 'alpha' } },
      { id: 'toolu_b', name: 'search', arguments: { q: 'beta' } },
    ]);
    const tool = deltas.filter((d) => d.type === 'tool-call');
    expect(tool[0]).toEqual({
      type: 'tool-call',
      index: 0,
      id: 'toolu_a',
      name: 'search',
      argumentsDelta: '',
    });
    expect(
      tool
        .filter((d) => d.index === 1)
        .map((d) => d.argumentsDelta)
        .join(''),
    ).toBe('{"q":"beta"}');
    expect(answer.stopReason).toBe('tool_calls');
  });

  it('takes usage from message_start and message_delta, cache tokens included', async () => {
    server.reply({
      text: 'ok',
      usage: { inputTokens: 500, outputTokens: 42, cacheReadTokens: 400, cacheWriteTokens: 50 },
    });
    const answer = await model().generate(ask('go', { onDelta: () => {} }));
    expect(answer.usage).toEqual({
      inputTokens: 500,
      outputTokens: 42,
      cacheReadTokens: 400,
      cacheWriteTokens: 50,
    });
  });

  it('fails with the provider error an error event carries mid-stream', async () => {
    server.reply({
      text: 'partial answer',
      fault: {
        kind: 'stream-error',
        afterEvents: 4,
        type: 'overloaded_error',
        message: 'Overloaded',
      },
    });
    const deltas: ModelDelta[] = [];
    await expect(
      model().generate(ask('go', { onDelta: (d) => deltas.push(d) })),
    ).rejects.toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
      message: 'anthropic error: Overloaded',
    });
    // Deltas had reached the caller, so the call was not retried.
    expect(deltas.length).toBeGreaterThan(0);
    expect(server.requests.length).toBe(1);
  });

  it('retries an overloaded error that arrives before any delta', async () => {
    server.reply(
      { text: 'x', fault: { kind: 'stream-error', afterEvents: 1, type: 'overloaded_error' } },
      { text: 'second try' },
    );
    const answer = await model({ retryBaseDelayMs: 1 }).generate(ask('go', { onDelta: () => {} }));
    expect(answer.text).toBe('second try');
    expect(server.requests.length).toBe(2);
  });
});
