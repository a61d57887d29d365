import type { ChatMessage, Model, ModelDelta, ModelRequest, ModelResponse } from '@troupe/core';
import { SimulatedClock } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer, FakeQuirk, FakeReply } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// Each compatible-server quirk, played by the fake server as the real server sends it, through
// the public API: streamed and whole answers, then the follow-up turn the server must accept.

let server: FakeModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => closeProviderPools());

const tools = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
];

const twoCalls: FakeReply = {
  reasoning: 'Two cities, two calls.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
    { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
  ],
};

async function start(quirks: FakeQuirk[], replies: FakeReply[]): Promise<FakeModelServer> {
  server = await createFakeModelServer({ quirks, replies });
  return server;
}

function openai(
  s: FakeModelServer,
  extra: Partial<Parameters<typeof openaiCompatible>[0]> = {},
): Model {
  return openaiCompatible({ baseURL: s.openaiBaseURL, model: 'quirky', ...extra });
}

const ask: ModelRequest = {
  messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
  tools,
};

/** Runs the tool round trip the agent runtime does: answer, results, follow-up. */
async function roundTrip(model: Model, first: ModelResponse): Promise<ModelResponse> {
  const messages: ChatMessage[] = [
    ...ask.messages,
    {
      role: 'assistant',
      content: first.text,
      toolCalls: first.toolCalls,
      ...(first.reasoning === undefined ? {} : { reasoning: first.reasoning }),
      ...(first.providerData === undefined ? {} : { providerData: first.providerData }),
    },
    ...first.toolCalls.map(
      (call): ChatMessage => ({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: 'sunny',
      }),
    ),
  ];
  return model.generate({ messages, tools });
}

const streamed = (deltas: ModelDelta[]): ModelRequest => ({
  ...ask,
  onDelta: (delta) => deltas.push(delta),
});

const cities = (answer: ModelResponse) => answer.toolCalls.map((call) => call.arguments);

describe.each([true, false])('compatible-server quirks (streamed: %s)', (stream) => {
  const generate = (model: Model) => model.generate(stream ? streamed([]) : ask);

  it('Ollama: parallel calls all at index 0 with distinct ids stay separate calls', async () => {
    const s = await start(['ollama-index0'], [twoCalls]);
    const answer = await generate(openai(s));
    expect(cities(answer)).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);
    expect(answer.toolCalls.map((call) => call.id)).toEqual(['call_a', 'call_b']);
  });

  it('Qwen: an empty id on continuation deltas never overwrites the real one', async () => {
    const s = await start(['qwen-empty-id'], [twoCalls, { text: 'done' }]);
    const model = openai(s);
    const answer = await generate(model);
    expect(answer.toolCalls.map((call) => call.id)).toEqual(['call_a', 'call_b']);
    expect(cities(answer)).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);
    await roundTrip(model, answer);
    const followUp = s.requests[1]?.body as { messages: { tool_calls?: { id: string }[] }[] };
    expect(followUp.messages[1]?.tool_calls?.map((call) => call.id)).toEqual(['call_a', 'call_b']);
  });

  it('DeepSeek: reasoning_content is kept, exposed and sent back with the tool calls', async () => {
    const s = await start(['deepseek-reasoning'], [twoCalls, { text: 'Sunny in both.' }]);
    const model = openai(s);
    const answer = await generate(model);
    expect(answer.reasoning).toBe('Two cities, two calls.');
    const next = await roundTrip(model, answer);
    expect(next.text).toBe('Sunny in both.');
    const followUp = s.requests[1]?.body as { messages: { reasoning_content?: string }[] };
    expect(followUp.messages[1]?.reasoning_content).toBe('Two cities, two calls.');
  });

  it("Gemini: each tool call's thought signature goes back with it", async () => {
    const s = await start(['gemini-thought-signature'], [twoCalls, { text: 'ok' }]);
    const model = openai(s);
    const answer = await generate(model);
    expect(answer.toolCalls[0]?.providerData).toEqual({
      openai: { extra_content: { google: { thought_signature: expect.any(String) } } },
    });
    expect((await roundTrip(model, answer)).text).toBe('ok');
  });

  it('Mistral Magistral: content as thinking and text parts gives the text and the reasoning', async () => {
    const s = await start(
      ['mistral-content-parts'],
      [{ reasoning: 'Think first.', text: 'Bonjour' }],
    );
    const answer = await generate(openai(s));
    expect(answer.text).toBe('Bonjour');
    expect(answer.reasoning).toBe('Think first.');
  });

  it('arguments sent as a JSON object are read as that object', async () => {
    const s = await start(['object-arguments'], [twoCalls]);
    expect(cities(await generate(openai(s)))).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);
  });

  it('integer tool-call ids are kept as text, not replaced', async () => {
    const s = await start(['integer-ids'], [twoCalls]);
    expect((await generate(openai(s))).toolCalls.map((call) => call.id)).toEqual(['1000', '1001']);
  });
});

describe('compatible-server quirks, one mode only', () => {
  it('empty ids in a whole answer become distinct ids that the follow-up uses', async () => {
    const s = await start(['empty-ids'], [twoCalls, { text: 'ok' }]);
    const model = openai(s);
    const answer = await model.generate(ask);
    const [a, b] = answer.toolCalls.map((call) => call.id);
    expect(a).not.toBe('');
    expect(a).not.toBe(b);
    expect((await roundTrip(model, answer)).text).toBe('ok');
  });

  it("vLLM's in-stream error with code 400 is a bad request and is not retried", async () => {
    const s = await start(['vllm-error-400'], [{ text: 'partial' }, { text: 'again' }]);
    await expect(openai(s, { maxRetries: 3 }).generate(streamed([]))).rejects.toMatchObject({
      code: 'ERR_PROVIDER_BAD_REQUEST',
    });
    expect(s.requests).toHaveLength(1);
  });

  it('tool indices starting at 1 (Anthropic compatible endpoint) stream as calls 0 and 1', async () => {
    const s = await start(['index-from-1'], [twoCalls]);
    const deltas: ModelDelta[] = [];
    const answer = await openai(s).generate(streamed(deltas));
    expect(cities(answer)).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);
    const indices = new Set(deltas.flatMap((d) => (d.type === 'tool-call' ? [d.index] : [])));
    expect([...indices]).toEqual([0, 1]);
  });

  it('a byte order mark before the first SSE line loses nothing', async () => {
    const s = await start(['bom'], [{ toolCalls: twoCalls.toolCalls ?? [] }]);
    const deltas: ModelDelta[] = [];
    const answer = await openai(s).generate(streamed(deltas));
    expect(answer.toolCalls.map((call) => [call.id, call.name])).toEqual([
      ['call_a', 'get_weather'],
      ['call_b', 'get_weather'],
    ]);
  });

  it('[DONE] followed by an open connection completes the call (no timer needed)', async () => {
    const clock = new SimulatedClock();
    const s = await start(['done-keep-open'], [{ text: 'whole' }]);
    const answer = await openai(s, { clock }).generate(streamed([]));
    expect(answer.text).toBe('whole');
  });

  it('reasoning streams as reasoning deltas, apart from the text', async () => {
    const s = await start(['deepseek-reasoning'], [{ reasoning: 'Hmm.', text: 'Yes.' }]);
    const deltas: ModelDelta[] = [];
    await openai(s).generate(streamed(deltas));
    expect(
      deltas
        .filter((d) => d.type === 'reasoning')
        .map((d) => (d as { text: string }).text)
        .join(''),
    ).toBe('Hmm.');
    expect(
      deltas
        .filter((d) => d.type === 'text')
        .map((d) => (d as { text: string }).text)
        .join(''),
    ).toBe('Yes.');
  });
});

describe('Anthropic quirks', () => {
  const claude = (s: FakeModelServer, clock?: SimulatedClock): Model =>
    anthropic({
      baseURL: s.anthropicBaseURL,
      apiKey: 'sk-ant-test',
      model: 'claude-sonnet-5-5',
      ...(clock === undefined ? {} : { clock }),
    });

  it('a user message with empty content is never sent', async () => {
    const s = await start([], [{ text: 'ok' }]);
    await claude(s).generate({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'user', content: '' },
      ],
      tools: [],
    });
    const body = s.requests[0]?.body as { messages: unknown[] };
    expect(body.messages).toEqual([{ role: 'user', content: 'first' }]);
  });

  it('a second message_start before the first message ends is an error', async () => {
    const s = await start(['anthropic-double-start'], [{ text: 'hello' }]);
    await expect(claude(s).generate(streamed([]))).rejects.toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
      details: { reason: 'malformed-response' },
    });
  });

  it('message_start carrying content is read', async () => {
    const s = await start(['anthropic-start-content'], [{ text: 'from the start' }]);
    expect((await claude(s).generate(streamed([]))).text).toBe('from the start');
  });

  it('message_stop followed by an open connection completes the call', async () => {
    const s = await start(['done-keep-open'], [{ text: 'whole' }]);
    expect((await claude(s, new SimulatedClock()).generate(streamed([]))).text).toBe('whole');
  });
});
