import type { Usage } from '../events/team-events.js';
import type { ModelUsage } from '../model.js';

/** Mutable usage totals: one per run and one per agent, added to in place (no churn per step). */
export interface UsageCounter {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export function newUsage(): UsageCounter {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
  };
}

/** Adds one model call's usage. */
export function addUsage(into: UsageCounter, usage: ModelUsage): void {
  into.requests++;
  into.inputTokens += usage.inputTokens;
  into.outputTokens += usage.outputTokens;
  if (usage.cacheReadTokens !== undefined) into.cacheReadTokens += usage.cacheReadTokens;
  if (usage.cacheWriteTokens !== undefined) into.cacheWriteTokens += usage.cacheWriteTokens;
  if (usage.costUsd !== undefined) into.costUsd += usage.costUsd;
}

/** A frozen copy for results and events. */
export function usageSnapshot(usage: UsageCounter): Usage {
  return {
    requests: usage.requests,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    costUsd: usage.costUsd,
  };
}

/** Adds totals (a run's usage) to a counter. */
export function addTotals(into: UsageCounter, usage: Usage): void {
  into.requests += usage.requests;
  into.inputTokens += usage.inputTokens;
  into.outputTokens += usage.outputTokens;
  into.cacheReadTokens += usage.cacheReadTokens;
  into.cacheWriteTokens += usage.cacheWriteTokens;
  into.costUsd += usage.costUsd;
}
