import type { RateLimitFeedback } from '@troupe/core';
import { SimulatedClock } from '@troupe/core';
import {
  anthropic,
  closeProviderPools,
  openaiCompatible,
  parseDuration,
  parseRateLimitHeaders,
  parseRetryAfter,
} from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('parseRateLimitHeaders with maxWaitMs', () => {
  it('caps every wait but leaves remaining counts alone', () => {
    const clock = new SimulatedClock(0);
    const feedback = parseRateLimitHeaders(
      {
        'x-ratelimit-remaining-requests': '5000000',
        'x-ratelimit-reset-requests': '2h',
        'x-ratelimit-reset-tokens': '20ms',
        'retry-after': '999999999',
      },
      clock,
      60_000,
    );
    expect(feedback).toEqual({
      remainingRequests: 5_000_000,
      resetRequestsMs: 60_000,
      resetTokensMs: 20,
      retryAfterMs: 60_000,
    });
  });
});

describe('parseDuration', () => {
  it.each([
    ['6m0s', 360_000],
    ['1s', 1_000],
    ['20ms', 20],
    ['0.5s', 500],
    ['1h2m3.5s', 3_723_500],
    ['2m59.56s', 179_560],
    ['7', 7_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each(['', 'soon', '5 minutes', 'ms', '1x'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, including fractions', () => {
    expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2_000);
    expect(parseRetryAfter({ 'retry-after': '0.25' })).toBe(250);
  });

  it('prefers retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after': '10', 'retry-after-ms': '42' })).toBe(42);
  });

  it('measures an HTTP date against the clock, never below zero', () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T12:00:00Z'));
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 12:00:30 GMT' }, clock)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }, clock)).toBe(0);
  });

  it('ignores missing or unreadable values', () => {
    expect(parseRetryAfter({})).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'later' })).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': 'x', 'retry-after': '1' })).toBe(1_000);
  });
});

describe('parseRateLimitHeaders', () => {
  it('reads OpenAI-style remaining counts and reset durations', () => {
    expect(
      parseRateLimitHeaders({
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '59',
        'x-ratelimit-remaining-tokens': '149984',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
    ).toEqual({
      remainingRequests: 59,
      remainingTokens: 149_984,
      resetRequestsMs: 1_000,
      resetTokensMs: 360_000,
    });
  });

  it('turns Anthropic RFC 3339 reset times into durations on the clock', () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T12:00:00Z'));
    expect(
      parseRateLimitHeaders(
        {
          'anthropic-ratelimit-requests-remaining': '49',
          'anthropic-ratelimit-requests-reset': '2026-03-01T12:00:01Z',
          'anthropic-ratelimit-tokens-remaining': '79000',
          'anthropic-ratelimit-tokens-reset': '2026-03-01T12:00:20.500Z',
          'retry-after': '3',
        },
        clock,
      ),
    ).toEqual({
      remainingRequests: 49,
      remainingTokens: 79_000,
      resetRequestsMs: 1_000,
      resetTokensMs: 20_500,
      retryAfterMs: 3_000,
    });
  });

  it('falls back to Anthropic input-token limits when there is no combined token limit', () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T12:00:00Z'));
    expect(
      parseRateLimitHeaders(
        {
          'anthropic-ratelimit-input-tokens-remaining': '1200',
          'anthropic-ratelimit-input-tokens-reset': '2026-03-01T12:00:05Z',
        },
        clock,
      ),
    ).toEqual({ remainingTokens: 1_200, resetTokensMs: 5_000 });
  });

  it('takes the first of repeated headers and skips garbage', () => {
    expect(
      parseRateLimitHeaders({
        'x-ratelimit-remaining-requests': ['3', '4'],
        'x-ratelimit-reset-requests': 'soon',
      }),
    ).toEqual({
      remainingRequests: 3,
    });
  });

  it('is empty without rate-limit headers', () => {
    expect(parseRateLimitHeaders({ 'content-type': 'application/json' })).toEqual({});
  });
});

describe('limiter feedback from live responses', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await createFakeModelServer();
  });
  afterEach(() => server.close());
  afterAll(() => closeProviderPools());

  const ask = (onRateLimit: (feedback: RateLimitFeedback) => void) => ({
    messages: [{ role: 'user' as const, content: 'hi' }],
    tools: [],
    onRateLimit,
  });

  it('reports OpenAI headers of a successful response through onRateLimit', async () => {
    server.reply({
      text: 'ok',
      headers: { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '20ms' },
    });
    const seen: RateLimitFeedback[] = [];
    await openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm' }).generate(
      ask((f) => seen.push(f)),
    );
    expect(seen).toEqual([{ remainingTokens: 0, resetTokensMs: 20 }]);
  });

  it('reports every 429 and the final success, each with its own headers', async () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T12:00:00Z'));
    server.reply(
      {
        headers: {
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': '2026-03-01T12:00:02Z',
        },
        fault: { kind: 'status', status: 429, retryAfter: '2' },
      },
      { text: 'ok', headers: { 'anthropic-ratelimit-requests-remaining': '4' } },
    );
    const seen: RateLimitFeedback[] = [];
    const model = anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'k',
      model: 'm',
      clock,
      onRetry: (info) => void clock.advance(info.delayMs),
    });
    await model.generate(ask((f) => seen.push(f)));
    expect(seen).toEqual([
      { remainingRequests: 0, resetRequestsMs: 2_000, retryAfterMs: 2_000 },
      { remainingRequests: 4 },
    ]);
  });

  it('fails the call with the error a throwing onRateLimit raises, and serves the next call', async () => {
    server.reply(
      {
        text: 'a long streamed answer',
        chunkSize: 2,
        headers: { 'x-ratelimit-remaining-requests': '1' },
      },
      { text: 'next' },
    );
    const model = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm', connections: 1 });
    const failing = model.generate({
      ...ask(() => {
        throw new Error('limiter bug');
      }),
      onDelta: () => {},
    });
    await expect(failing).rejects.toThrow('limiter bug');
    expect((await model.generate(ask(() => {}))).text).toBe('next');
    expect(server.requests.length).toBe(2);
  });

  it('stays silent when a response has no rate-limit headers', async () => {
    server.reply({ text: 'ok' });
    const seen: RateLimitFeedback[] = [];
    await openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm' }).generate(
      ask((f) => seen.push(f)),
    );
    expect(seen).toEqual([]);
  });
});
