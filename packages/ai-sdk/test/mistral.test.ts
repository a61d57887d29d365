import { createMistral } from '@ai-sdk/mistral';
import { aiSdkModel } from '@troupe/ai-sdk';
import type { ChatMessage, ModelDelta, RateLimitFeedback } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { MistralFake } from './mistral-fake.js';
import { startMistralFake } from './mistral-fake.js';

// A real provider package, @ai-sdk/mistral, pointed at a local fake of Mistral's wire format.

let fake: MistralFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function model(baseURL: string, extra: object = {}) {
  return aiSdkModel({
    model: createMistral({ baseURL, apiKey: 'mistral-test' })('mistral-large-latest'),
    pricing: { inputPerMTok: 2, outputPerMTok: 6 },
    ...extra,
  });
}

describe('@ai-sdk/mistral through aiSdkModel', () => {
  it('runs a whole tool round trip with usage and cost', async () => {
    fake = await startMistralFake([
      { toolCalls: [{ id: 'D681PevKs', name: 'get_weather', arguments: { city: 'Lyon' } }] },
      { text: 'Sunny in Lyon.', usage: { prompt_tokens: 40, completion_tokens: 4 } },
    ]);
    const m = model(fake.baseURL);
    expect(m.id).toBe('mistral.chat:mistral-large-latest');
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Lyon?' }];
    const first = await m.generate({ system: 'Use tools.', messages, tools: [weather] });
    expect(first.toolCalls).toEqual([
      { id: 'D681PevKs', name: 'get_weather', arguments: { city: 'Lyon' } },
    ]);
    expect(first.stopReason).toBe('tool_calls');
    messages.push(
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: 'D681PevKs', name: 'get_weather', content: 'sunny' },
    );
    const second = await m.generate({ system: 'Use tools.', messages, tools: [weather] });
    expect(second.text).toBe('Sunny in Lyon.');
    expect(second.usage).toMatchObject({ inputTokens: 40, outputTokens: 4 });
    expect(second.usage.costUsd).toBeCloseTo((40 * 2 + 4 * 6) / 1e6, 12);
    const sent = fake.requests[1]?.body.messages as { role: string; tool_call_id?: string }[];
    expect(sent.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(sent[3]?.tool_call_id).toBe('D681PevKs');
  });

  it('streams text and tool-call deltas', async () => {
    fake = await startMistralFake([
      {
        text: 'Let me check.',
        toolCalls: [{ id: 'aB3dE5gH7', name: 'get_weather', arguments: { city: 'Nice' } }],
      },
    ]);
    const deltas: ModelDelta[] = [];
    const answer = await model(fake.baseURL).generate({
      messages: [{ role: 'user', content: 'Weather in Nice?' }],
      tools: [weather],
      onDelta: (delta) => deltas.push(delta),
    });
    expect(answer.text).toBe('Let me check.');
    expect(answer.toolCalls).toEqual([
      { id: 'aB3dE5gH7', name: 'get_weather', arguments: { city: 'Nice' } },
    ]);
    expect(
      deltas
        .filter((d) => d.type === 'text')
        .map((d) => (d as { text: string }).text)
        .join(''),
    ).toBe('Let me check.');
    expect(deltas.find((d) => d.type === 'tool-call')).toMatchObject({
      index: 0,
      id: 'aB3dE5gH7',
      name: 'get_weather',
    });
    expect(fake.requests[0]?.body.stream).toBe(true);
  });

  it('retries a 429 after its retry-after and reports the feedback to the limiter', async () => {
    fake = await startMistralFake([
      { status: 429, headers: { 'retry-after': '0' } },
      { text: 'ok', headers: { 'x-ratelimit-remaining-requests': '3' } },
    ]);
    const heard: RateLimitFeedback[] = [];
    const answer = await model(fake.baseURL).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      onRateLimit: (feedback) => heard.push(feedback),
    });
    expect(answer.text).toBe('ok');
    expect(fake.requests).toHaveLength(2);
    expect(heard).toEqual([{ retryAfterMs: 0 }, { remainingRequests: 3 }]);
  });

  it('a 401 is ERR_PROVIDER_AUTH, not retried', async () => {
    fake = await startMistralFake([{ text: 'never' }]);
    const m = aiSdkModel({
      model: createMistral({ baseURL: fake.baseURL, apiKey: 'wrong' })('mistral-small-latest'),
    });
    await expect(
      m.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] }),
    ).rejects.toMatchObject({
      code: 'ERR_PROVIDER_AUTH',
    });
    expect(fake.requests).toHaveLength(1);
  });
});
