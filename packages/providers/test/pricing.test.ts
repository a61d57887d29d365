import type { ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools, costOf, openaiCompatible } from '@troupe/providers';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => closeProviderPools());

const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] };
const pricing = {
  inputPerMTok: 3,
  outputPerMTok: 15,
  cacheReadPerMTok: 0.3,
  cacheWritePerMTok: 3.75,
};

describe('pricing', () => {
  it('prices uncached input, cache reads, cache writes and output apart', () => {
    const usage = {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cacheReadTokens: 500_000,
      cacheWriteTokens: 200_000,
    };
    // 300k plain × $3 + 500k × $0.3 + 200k × $3.75 + 100k × $15, per million
    expect(costOf(usage, pricing)).toBeCloseTo(0.9 + 0.15 + 0.75 + 1.5, 10);
  });

  it('charges cache tokens at the input price when no cache price is given', () => {
    expect(
      costOf(
        { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 400_000 },
        { inputPerMTok: 2, outputPerMTok: 8 },
      ),
    ).toBeCloseTo(2, 10);
  });

  it('fills usage.costUsd for both providers', async () => {
    const usage = {
      inputTokens: 2_000,
      outputTokens: 1_000,
      cacheReadTokens: 1_000,
      cacheWriteTokens: 0,
    };
    const server = await createFakeModelServer({ replies: () => ({ text: 'ok', usage }) });
    try {
      const expected = costOf(usage, pricing);
      const viaAnthropic = await anthropic({
        baseURL: server.anthropicBaseURL,
        apiKey: 'k',
        model: 'm',
        pricing,
      }).generate(ask);
      expect(viaAnthropic.usage.costUsd).toBeCloseTo(expected, 12);
      const viaOpenAI = await openaiCompatible({
        baseURL: server.openaiBaseURL,
        model: 'm',
        pricing,
      }).generate(ask);
      // OpenAI reports no cache writes: those tokens count as plain input.
      expect(viaOpenAI.usage.costUsd).toBeCloseTo(
        costOf({ inputTokens: 2_000, outputTokens: 1_000, cacheReadTokens: 1_000 }, pricing),
        12,
      );
    } finally {
      await server.close();
    }
  });

  it('leaves costUsd out without pricing', async () => {
    const server = await createFakeModelServer({ replies: [{ text: 'ok' }] });
    try {
      const answer = await openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm' }).generate(
        ask,
      );
      expect(answer.usage.costUsd).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
