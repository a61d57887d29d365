import { isTroupeError } from '@troupe/core';
import { analyze, mergeAnalyses, type SimEvent, TeamAnalyzer } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

// Ten simulated minutes with one model answer per minute.
const events: SimEvent[] = [
  { t: 0, team: 0, type: 'run.started', scenario: 's', seed: 1, agents: ['dev-1'], regions: 1 },
  ...Array.from(
    { length: 10 },
    (_, i): SimEvent => ({
      t: i * 60_000,
      team: 0,
      type: 'model.answered',
      agent: 'dev-1',
      latencyMs: 10,
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0,
    }),
  ),
  { t: 600_000, team: 0, type: 'run.finished', reason: 'work-done', regionsDone: 1, regions: 1 },
];

describe('analyze', () => {
  it('folds the run into about the requested number of chart buckets', () => {
    const analysis = analyze(events, { buckets: 10 });
    expect(analysis.bucketMs).toBe(60_000);
    expect(analysis.buckets).toHaveLength(10);
    expect(analysis.buckets.map((b) => b.modelCalls)).toEqual(Array(10).fill(1));
  });

  it.each([0, -1, 1.5, Number.NaN])(
    'refuses buckets %s with ERR_INVALID_ARGUMENT naming it',
    (buckets) => {
      const analyzer = new TeamAnalyzer({ timelines: false });
      for (const event of events) analyzer.add(event);
      let caught: unknown;
      try {
        mergeAnalyses([analyzer.result()], { buckets });
      } catch (error) {
        caught = error;
      }
      expect(isTroupeError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
      expect((caught as Error).message).toContain('options.buckets');
    },
  );
});
