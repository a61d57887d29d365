// A context policy's cost effect in a simulation: the same team with and without a small
// prompt budget. Input tokens are billed by the request actually sent, and a compaction's
// summary call is answered with a bounded summary, not as a turn of the agent.
import { fileURLToPath } from 'node:url';
import { parseTeamScenario, runTeamSimulation, type SimEvent } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const module = fileURLToPath(new URL('./fixtures/context-team.mjs', import.meta.url));
const files = 'abcdefghijklmnopqrst'.split('');

const scenario = (context?: { maxInputTokens: number; summarize: { maxTokens: number } }) =>
  parseTeamScenario({
    name: 'context',
    policy: {
      latencyMs: { median: 0, p95: 0 },
      outputTokens: [20, 40],
      script: files.map((f) => ({ tool: 'read_file', args: { path: `src/${f}.ts` } })),
      ...(context === undefined ? {} : { context }),
    },
  });

async function simulate(s: ReturnType<typeof scenario>) {
  const result = await runTeamSimulation({ module, scenario: s, threads: 0 });
  const log = result.lines.map((l) => JSON.parse(l) as SimEvent);
  const answered = log.filter((e) => e.type === 'model.answered');
  const turns = log.filter((e) => e.type === 'turn.started').length;
  return { result, answered, turns };
}

describe('a context policy in a simulated team', () => {
  it('bills each call by its request and compacts under a small budget', async () => {
    const unbounded = await simulate(scenario());
    const bounded = await simulate(
      scenario({ maxInputTokens: 1_500, summarize: { maxTokens: 60 } }),
    );
    for (const run of [unbounded, bounded]) expect(run.result.perTeam[0]!.finish).toBe('idle');

    // Without a policy every call is a turn, and each sends more history than the one before.
    expect(unbounded.answered).toHaveLength(unbounded.turns);
    expect(unbounded.turns).toBe(files.length + 1);
    const sizes = unbounded.answered.map((e) => (e.type === 'model.answered' ? e.inputTokens : 0));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1]!);
    expect(sizes.at(-1)).toBeGreaterThan(3_000);

    // With the budget: the same turns, plus summary calls (compactions) that are not turns.
    expect(bounded.turns).toBe(unbounded.turns);
    const summaries = bounded.answered.length - bounded.turns;
    expect(summaries).toBeGreaterThan(0);
    for (const e of bounded.answered) {
      if (e.type !== 'model.answered') continue;
      expect(e.outputTokens).toBeLessThanOrEqual(60);
      expect(e.inputTokens).toBeLessThan(2_000);
    }
    const input = (r: typeof bounded) => r.result.analysis.totals.inputTokens;
    expect(input(bounded)).toBeLessThan(input(unbounded) / 2);
    expect(bounded.result.analysis.totals.modelCalls).toBe(bounded.answered.length);
  });

  it("uses the module's own policy, with the policy model writing its summaries", async () => {
    const own = fileURLToPath(
      new URL('./fixtures/context-team-own-summarizer.mjs', import.meta.url),
    );
    const result = await runTeamSimulation({ module: own, scenario: scenario(), threads: 0 });
    const log = result.lines.map((l) => JSON.parse(l) as SimEvent);
    const answered = log.filter((e) => e.type === 'model.answered').length;
    const turns = log.filter((e) => e.type === 'turn.started').length;
    expect(result.perTeam[0]!.finish).toBe('idle');
    expect(log.some((e) => e.type === 'agent.failed')).toBe(false);
    expect(answered).toBeGreaterThan(turns);
  });
});
