import { isTroupeError } from '@troupe/core';
import { anthropic, openaiCompatible } from '@troupe/providers';
import { describe, expect, it } from 'vitest';

const openai = { baseURL: 'http://127.0.0.1:1/v1', model: 'm' };
const claude = { apiKey: 'k', model: 'm' };

function refusal(make: () => unknown): { code?: string; message: string } {
  try {
    make();
  } catch (error) {
    if (isTroupeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected ERR_INVALID_ARGUMENT');
}

describe('option validation at construction', () => {
  it.each([
    ['baseURL', () => openaiCompatible({ ...openai, baseURL: 'not a url' })],
    ['baseURL', () => openaiCompatible({ ...openai, baseURL: 'ftp://example.com' })],
    ['model', () => openaiCompatible({ ...openai, model: '' })],
    [
      'maxTokensField',
      () => openaiCompatible({ ...openai, maxTokensField: 'tokens' as 'max_tokens' }),
    ],
    ['apiKey', () => anthropic({ ...claude, apiKey: '' })],
    ['maxTokens', () => anthropic({ ...claude, maxTokens: 0 })],
    ['promptCaching', () => anthropic({ ...claude, promptCaching: 'yes' as unknown as boolean })],
    ['timeoutMs', () => openaiCompatible({ ...openai, timeoutMs: -1 })],
    ['firstByteTimeoutMs', () => anthropic({ ...claude, firstByteTimeoutMs: 0 })],
    ['idleTimeoutMs', () => anthropic({ ...claude, idleTimeoutMs: Number.NaN })],
    ['maxRetries', () => openaiCompatible({ ...openai, maxRetries: 1.5 })],
    ['retryBaseDelayMs', () => openaiCompatible({ ...openai, retryBaseDelayMs: -5 })],
    ['connections', () => openaiCompatible({ ...openai, connections: 0 })],
    ['stream', () => openaiCompatible({ ...openai, stream: 'yes' as 'auto' })],
    ['pricing', () => anthropic({ ...claude, pricing: null as never })],
    [
      'pricing.outputPerMTok',
      () => anthropic({ ...claude, pricing: { inputPerMTok: 1, outputPerMTok: -1 } }),
    ],
    [
      'pricing.cacheReadPerMTok',
      () =>
        anthropic({
          ...claude,
          pricing: {
            inputPerMTok: 1,
            outputPerMTok: 1,
            cacheReadPerMTok: Number.POSITIVE_INFINITY,
          },
        }),
    ],
    [
      'includeUsage',
      () => openaiCompatible({ ...openai, includeUsage: 'yes' as unknown as boolean }),
    ],
    ['clock', () => openaiCompatible({ ...openai, clock: {} as never })],
    ['onRetry', () => anthropic({ ...claude, onRetry: 'log' as never })],
    ['id', () => anthropic({ ...claude, id: '' })],
    ['rng', () => anthropic({ ...claude, rng: 42 as never })],
    ['dispatcher', () => openaiCompatible({ ...openai, dispatcher: {} as never })],
    ['headers', () => openaiCompatible({ ...openai, headers: 'x-team: a' as never })],
    [
      'headers.x-team',
      () => openaiCompatible({ ...openai, headers: { 'x-team': 5 as unknown as string } }),
    ],
  ])('refuses a bad %s with ERR_INVALID_ARGUMENT naming it', (option, make) => {
    const error = refusal(make);
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain(option);
  });

  it('accepts any dispatcher with request(), the one method the providers call', () => {
    const stub = { request: async () => ({ statusCode: 200, headers: {}, body: null }) };
    expect(openaiCompatible({ ...openai, dispatcher: stub as never }).id).toBe('openai:m');
  });

  it('accepts Infinity to turn a timeout off', () => {
    expect(openaiCompatible({ ...openai, timeoutMs: Number.POSITIVE_INFINITY }).id).toBe(
      'openai:m',
    );
  });

  it('names models by provider unless given an id', () => {
    expect(anthropic(claude).id).toBe('anthropic:m');
    expect(openaiCompatible({ ...openai, id: 'ollama:llama3' }).id).toBe('ollama:llama3');
  });

  it('estimates tokens from request size plus the output allowance', () => {
    const request = { messages: [{ role: 'user' as const, content: 'x'.repeat(400) }], tools: [] };
    expect(openaiCompatible(openai).estimateTokens?.({ ...request, maxOutputTokens: 50 })).toBe(
      150,
    );
    // Anthropic always reserves max_tokens of output.
    expect(anthropic({ ...claude, maxTokens: 1000 }).estimateTokens?.(request)).toBe(1100);
  });
});
