import type { ModelDelta, ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { afterAll, describe, expect, it } from 'vitest';

// Optional: talks to a real provider only when its key or base URL is in the environment.
// OPENAI_BASE_URL alone is enough for a local server (Ollama, vLLM, llama.cpp, LM Studio).
const env = process.env;
const openaiReady = Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL);
const anthropicReady = Boolean(env.ANTHROPIC_API_KEY);

afterAll(() => closeProviderPools());

const request = (onDelta?: (delta: ModelDelta) => void): ModelRequest => ({
  system: 'Answer with one word.',
  messages: [{ role: 'user', content: 'What colour is the sky on a clear day?' }],
  tools: [],
  maxOutputTokens: 20,
  ...(onDelta === undefined ? {} : { onDelta }),
});

describe('live smoke', () => {
  it.skipIf(!openaiReady)(
    `openaiCompatible answers and streams${openaiReady ? '' : ' (skipped: set OPENAI_API_KEY or OPENAI_BASE_URL)'}`,
    async () => {
      const model = openaiCompatible({
        baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
        model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
      });
      const deltas: ModelDelta[] = [];
      const answer = await model.generate(request((delta) => deltas.push(delta)));
      expect(answer.text.length).toBeGreaterThan(0);
      expect(deltas.length).toBeGreaterThan(0);
      expect(answer.usage.inputTokens).toBeGreaterThan(0);
    },
    60_000,
  );

  it.skipIf(!anthropicReady)(
    `anthropic answers and streams${anthropicReady ? '' : ' (skipped: set ANTHROPIC_API_KEY)'}`,
    async () => {
      const model = anthropic({
        apiKey: env.ANTHROPIC_API_KEY ?? '',
        model: env.ANTHROPIC_MODEL ?? 'claude-haiku-5-5',
        ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
      });
      const deltas: ModelDelta[] = [];
      const answer = await model.generate(request((delta) => deltas.push(delta)));
      expect(answer.text.length).toBeGreaterThan(0);
      expect(deltas.length).toBeGreaterThan(0);
      expect(answer.usage.inputTokens).toBeGreaterThan(0);
    },
    60_000,
  );
});
