import { createRng } from '@troupe/core';
import { backoffDelay, retryPolicy } from '@troupe/providers';
import { describe, expect, it } from 'vitest';

describe('retryPolicy', () => {
  it('fills in the defaults', () => {
    expect(retryPolicy({})).toEqual({
      maxRetries: 2,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 8_000,
      maxRetryAfterMs: 60_000,
    });
  });

  it.each([
    [{ maxRetries: 1.5 }, 'maxRetries must be a non-negative integer'],
    [{ retryBaseDelayMs: -1 }, 'retryBaseDelayMs must be a non-negative finite number'],
    [{ maxRetryAfterMs: Number.POSITIVE_INFINITY }, 'maxRetryAfterMs must be a non-negative'],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => retryPolicy(options)).toThrow(message);
  });
});

describe('backoffDelay', () => {
  const policy = retryPolicy({ retryBaseDelayMs: 100, retryMaxDelayMs: 1_000 });

  it('doubles per retry, shortened by at most a quarter', () => {
    const rng = createRng(1);
    for (const [retry, ceiling] of [
      [1, 100],
      [2, 200],
      [3, 400],
    ] as const) {
      const delay = backoffDelay(policy, retry, rng);
      expect(delay).toBeLessThanOrEqual(ceiling);
      expect(delay).toBeGreaterThanOrEqual(ceiling * 0.75);
    }
  });

  it('never exceeds retryMaxDelayMs', () => {
    expect(backoffDelay(policy, 20, createRng(2))).toBeLessThanOrEqual(1_000);
  });
});
