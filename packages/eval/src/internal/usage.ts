import type { Usage } from '@troupe/core';

type MutableUsage = { -readonly [K in keyof Usage]: Usage[K] };

/** Zero usage, to add to. */
export function emptyUsage(): MutableUsage {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
  };
}

/** Adds `usage` into `into`. */
export function addUsage(into: MutableUsage, usage: Usage): void {
  into.requests += usage.requests;
  into.inputTokens += usage.inputTokens;
  into.outputTokens += usage.outputTokens;
  into.cacheReadTokens += usage.cacheReadTokens;
  into.cacheWriteTokens += usage.cacheWriteTokens;
  into.costUsd += usage.costUsd;
}
