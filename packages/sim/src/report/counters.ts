import type { RunTotals } from './analyze.js';

/** The summed counters of {@link RunTotals}. */
export type Counters = {
  -readonly [K in Exclude<keyof RunTotals, 'faults' | 'finishReasons'>]: number;
};

export const zeroCounters = (): Counters => ({
  teams: 0,
  agents: 0,
  simulatedMs: 0,
  modelCalls: 0,
  modelFailures: 0,
  turns: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  leaseWaits: 0,
  leaseWaitMs: 0,
  claimsGranted: 0,
  conflicts: 0,
  discoveries: 0,
  messages: 0,
  regionsDone: 0,
  regions: 0,
  agentFailures: 0,
  agentRestarts: 0,
});

/** Adds `by` at index `second`, growing the series with zeros. */
export const addAt = (series: number[], second: number, by: number): void => {
  while (series.length <= second) series.push(0);
  series[second]! += by;
};
