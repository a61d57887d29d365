import Anthropic from '@anthropic-ai/sdk';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The official SDKs talk to the fake server as to the real APIs: what they send, it accepts,
// and what it answers, they parse.

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer({ apiKey: 'sk-test' });
});
afterEach(() => server.close());

const lookup = {
  name: 'lookup',
  description: 'Looks a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
};

describe('the official openai client', () => {
  const client = () =>
    new OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });

  it('creates a chat completion with developer role, content parts and max_completion_tokens', async () => {
    server.reply({ toolCalls: [{ id: 'call_1', name: 'lookup', arguments: { word: 'ciel' } }] });
    const completion = await client().chat.completions.create({
      model: 'gpt-4.1-mini',
      max_completion_tokens: 100,
      messages: [
        { role: 'developer', content: 'Use tools.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What does this say?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: lookup }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(
      call?.type === 'function'
        ? [call.id, call.function.name, JSON.parse(call.function.arguments)]
        : [],
    ).toEqual(['call_1', 'lookup', { word: 'ciel' }]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams a chat completion with usage', async () => {
    server.reply({ text: 'Bonjour, le monde', usage: { inputTokens: 12, outputTokens: 4 } });
    const stream = await client().chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Bonjour, le monde');
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 4 });
  });

  it('creates and streams a Responses API response', async () => {
    server.reply({ text: 'Whole.' }, { text: 'Streamed.' });
    const whole = await client().responses.create({
      model: 'gpt-5-mini',
      input: 'Hi',
      store: false,
    });
    expect(whole.output_text).toBe('Whole.');
    const stream = client().responses.stream({ model: 'gpt-5-mini', input: 'Hi' });
    const done = await stream.finalResponse();
    expect(done.output_text).toBe('Streamed.');
  });

  it('hears a context-length error as the API sends it', async () => {
    await server.close();
    server = await createFakeModelServer({ apiKey: 'sk-test', maxContextTokens: 10 });
    const error = await client()
      .chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'x'.repeat(500) }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      'context_length_exceeded',
    );
  });
});

describe('the official @anthropic-ai/sdk client', () => {
  const client = () =>
    new Anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'sk-test', maxRetries: 0 });

  it('creates a message with consecutive user turns, an image and a document', async () => {
    server.reply({ toolCalls: [{ id: 'toolu_1', name: 'lookup', arguments: { word: 'mer' } }] });
    const message = await client().messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 256,
      system: [{ type: 'text', text: 'Use tools.', cache_control: { type: 'ephemeral' } }],
      tools: [
        {
          name: lookup.name,
          description: lookup.description,
          input_schema: lookup.parameters as Anthropic.Tool.InputSchema,
        },
      ],
      messages: [
        { role: 'user', content: 'First.' },
        {
          role: 'user',
          content: [
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
            },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
            },
            { type: 'text', text: 'Look up "mer".' },
          ],
        },
      ],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { word: 'mer' } },
    ]);
    expect(server.requests[0]?.headers['anthropic-version']).toBe('2026-10-21');
  });

  it('streams a message with thinking and reads the final message', async () => {
    server.reply({
      reasoning: 'Short answer.',
      text: 'Oui.',
      usage: { inputTokens: 30, outputTokens: 3, cacheReadTokens: 20 },
    });
    const stream = client().messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Yes in French?' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(final.content[1]).toMatchObject({ type: 'text', text: 'Oui.' });
    expect(final.usage).toMatchObject({
      input_tokens: 10,
      cache_read_input_tokens: 20,
      output_tokens: 3,
    });
  });

  it('authenticates with a bearer token', async () => {
    server.reply({ text: 'ok' });
    const bearer = new Anthropic({
      baseURL: server.anthropicBaseURL,
      authToken: 'sk-test',
      apiKey: null,
      maxRetries: 0,
    });
    const message = await bearer.messages.create({
      model: 'claude-haiku-5-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'ok' }]);
  });
});
