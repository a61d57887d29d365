import type { ModelDelta, ModelRequest } from '@troupe/core';
import { closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer({ apiKey: 'sk-test' });
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function model(extra: Partial<Parameters<typeof openaiCompatible>[0]> = {}) {
  return openaiCompatible({
    baseURL: server.openaiBaseURL,
    apiKey: 'sk-test',
    model: 'gpt-test',
    ...extra,
  });
}

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content }],
  tools: [],
  ...extra,
});

describe('openaiCompatible without streaming', () => {
  it('returns the text, usage and stop reason', async () => {
    server.reply({ text: 'Hello there', usage: { inputTokens: 12, outputTokens: 3 } });
    const answer = await model().generate(ask('hi'));
    expect(answer).toEqual({
      text: 'Hello there',
      toolCalls: [],
      usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 0 },
      stopReason: 'end',
    });
  });

  it('sends the bearer key, the model and no stream flag', async () => {
    server.reply({ text: 'ok' });
    await model().generate(ask('hi'));
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toEqual({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('maps the system prompt, assistant tool calls and tool results to chat messages', async () => {
    server.reply({ text: 'It is sunny.' });
    await model().generate({
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
            { id: 'call_2', name: 'get_weather', arguments: { city: 'Rome' } },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'sunny' },
        {
          role: 'tool',
          toolCallId: 'call_2',
          name: 'get_weather',
          content: 'rain',
          isError: false,
        },
      ],
      tools: [weather],
      maxOutputTokens: 64,
      temperature: 0.2,
    });
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
      ],
      tools: [{ type: 'function', function: weather }],
      max_tokens: 64,
      temperature: 0.2,
    });
  });

  it('parses tool calls the model makes', async () => {
    server.reply({
      toolCalls: [{ id: 'call_9', name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const answer = await model().generate(ask('weather?', { tools: [weather] }));
    expect(answer.toolCalls).toEqual([
      { id: 'call_9', name: 'get_weather', arguments: { city: 'Oslo' } },
    ]);
    expect(answer.stopReason).toBe('tool_calls');
    expect(answer.text).toBe('');
  });

  it('sends tool parameters without the $schema keyword zod adds', async () => {
    server.reply({ text: 'ok' });
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      ...weather.parameters,
    };
    await model().generate(ask('hi', { tools: [{ ...weather, parameters: schema }] }));
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ type: 'function', function: weather }],
    });
    expect(JSON.stringify(server.requests[0]?.body)).not.toContain('$schema');
  });

  it('sends max_completion_tokens when asked to', async () => {
    server.reply({ text: 'ok' });
    await model({ maxTokensField: 'max_completion_tokens' }).generate(
      ask('hi', { maxOutputTokens: 9 }),
    );
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 9 });
  });

  it('maps finish reasons to stop reasons', async () => {
    server.reply(
      { text: 'a', stopReason: 'max_tokens' },
      { text: 'b', stopReason: 'content_filter' },
    );
    expect((await model().generate(ask('1'))).stopReason).toBe('max_tokens');
    expect((await model().generate(ask('2'))).stopReason).toBe('content_filter');
  });
});

describe('openaiCompatible streaming', () => {
  it('streams text deltas and returns the whole text', async () => {
    server.reply({ text: 'The quick brown fox', chunkSize: 5 });
    const deltas: ModelDelta[] = [];
    const answer = await model().generate(ask('go', { onDelta: (d) => deltas.push(d) }));
    expect(deltas).toEqual([
      { type: 'text', text: 'The q' },
      { type: 'text', text: 'uick ' },
      { type: 'text', text: 'brown' },
      { type: 'text', text: ' fox' },
    ]);
    expect(answer.text).toBe('The quick brown fox');
    expect(answer.stopReason).toBe('end');
  });

  it('asks for stream and the usage chunk', async () => {
    server.reply({ text: 'ok' });
    await model().generate(ask('go', { onDelta: () => {} }));
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('assembles tool-call argument fragments by index', async () => {
    server.reply({
      chunkSize: 3,
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
        { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
      ],
    });
    const deltas: ModelDelta[] = [];
    const answer = await model().generate(
      ask('go', { tools: [weather], onDelta: (d) => deltas.push(d) }),
    );
    expect(answer.toolCalls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
      { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
    ]);
    const toolDeltas = deltas.filter((d) => d.type === 'tool-call');
    expect(toolDeltas[0]).toEqual({
      type: 'tool-call',
      index: 0,
      id: 'call_a',
      name: 'get_weather',
      argumentsDelta: '',
    });
    const second = toolDeltas
      .filter((d) => d.index === 1)
      .map((d) => d.argumentsDelta)
      .join('');
    expect(second).toBe('{"city":"Rome"}');
    expect(answer.stopReason).toBe('tool_calls');
  });

  it('reports usage with cached prompt tokens from the usage chunk', async () => {
    server.reply({
      text: 'ok',
      usage: { inputTokens: 2000, outputTokens: 7, cacheReadTokens: 1536 },
    });
    const answer = await model().generate(ask('go', { onDelta: () => {} }));
    expect(answer.usage).toEqual({ inputTokens: 2000, outputTokens: 7, cacheReadTokens: 1536 });
  });

  it('streams even without onDelta when stream is forced', async () => {
    server.reply({ text: 'forced' });
    const answer = await model({ stream: true }).generate(ask('go'));
    expect(server.requests[0]?.stream).toBe(true);
    expect(answer.text).toBe('forced');
  });

  it('passes unparseable tool arguments through as text for the tool to reject', async () => {
    server.reply({ toolCalls: [{ id: 'c', name: 'get_weather', arguments: 'not json' }] });
    const answer = await model().generate(ask('go', { onDelta: () => {} }));
    expect(answer.toolCalls[0]?.arguments).toBe('not json');
  });
});
