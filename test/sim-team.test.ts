// `troupe sim --team`: a team module written for `troupe run` (three agents, custom zod tools, a
// role, limits) simulated with a stochastic scenario: deterministic across runs and thread
// counts, with faults, stubs and the agents' messages visible in the log and the analysis.
import { join } from 'node:path';
import {
  closeSimulationPools,
  loadTeamScenarioFile,
  parseTeamScenario,
  runTeamSimulation,
  type SimEvent,
} from '@troupe/sim';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from './fixtures/cli-common/cli.js';

// Child processes, worker pools and a browser on a shared 2-core machine: a named bound per test
// rather than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const examples = join(repoRoot, 'packages/sim/examples');
const module = join(examples, 'team.mjs');

afterAll(closeSimulationPools);

const events = (lines: readonly string[]) => lines.map((l) => JSON.parse(l) as SimEvent);

describe('simulating a team module', () => {
  it('runs every agent of the module with faults, stubs and messages in the log', async () => {
    const scenario = await loadTeamScenarioFile(join(examples, 'team-scenario.json'));
    const result = await runTeamSimulation({ module, scenario, threads: 0 });
    const log = events(result.lines);
    const t = result.analysis.totals;
    expect(result.perTeam[0]!.finish).toBe('idle');
    expect(result.analysis.agents.map((a) => a.agent)).toEqual(['planner', 'coder-1', 'coder-2']);
    for (const agent of result.analysis.agents)
      expect(agent.modelCalls, agent.agent).toBeGreaterThan(0);
    // The planner messaged the coders, which is what made them run.
    expect(log.some((e) => e.type === 'message.posted' && e.topic === 'inbox:coder-1')).toBe(true);
    // Stubbed tools ran (and failed now and then), unstubbed search_code ran for real.
    const tools = log.filter((e) => e.type === 'tool.returned');
    expect([...new Set(tools.map((e) => e.tool))]).toEqual(
      expect.arrayContaining(['search_code', 'write_file', 'run_tests', 'post_message']),
    );
    expect(tools.some((e) => e.tool === 'run_tests' && e.isError)).toBe(true);
    expect(tools.some((e) => e.tool === 'write_file' && !e.isError)).toBe(true);
    // Faults of every kind, the outage included, are in the log and the totals.
    expect(t.modelFailures).toBeGreaterThan(0);
    expect(Object.keys(t.faults)).toEqual(expect.arrayContaining(['outage']));
    const outage = log.filter((e) => e.type === 'model.failed' && e.fault === 'outage');
    for (const e of outage) expect(e.t >= 5_000 && e.t < 9_000).toBe(true);
    // The module's limit (30 requests a minute) held every call.
    expect(t.costUsd).toBeGreaterThan(0);
  });

  // Across thread counts: test/cli-sim.test.ts (the built CLI, one build of core in every thread).
  it('gives one hash across runs, another for another seed', async () => {
    const scenario = await loadTeamScenarioFile(join(examples, 'team-scenario.json'));
    const hashes = new Set<string>();
    for (const threads of [0, 0]) {
      const run = await runTeamSimulation({ module, scenario, teams: 4, threads });
      hashes.add(run.hash);
      expect(run.perTeam.map((p) => p.team)).toEqual([0, 1, 2, 3]);
    }
    expect(hashes.size).toBe(1);
    const other = await runTeamSimulation({ module, scenario, seed: 99, threads: 0 });
    expect(hashes.has(other.hash)).toBe(false);
  });

  it('follows a scripted policy step by step', async () => {
    const scenario = parseTeamScenario({
      policy: { latencyMs: { median: 0, p95: 0 }, script: [{ answer: 'nothing to do' }] },
      agents: {
        planner: {
          script: [
            { tool: 'search_code', args: { symbol: 'getUser' } },
            { message: 'rename it in api/', to: 'coder-2' },
            { answer: 'planned' },
          ],
        },
      },
    });
    const result = await runTeamSimulation({ module, scenario, threads: 0 });
    const log = events(result.lines);
    const planner = log.filter((e) => 'agent' in e && e.agent === 'planner');
    expect(planner.filter((e) => e.type === 'model.answered')).toHaveLength(3);
    expect(log.find((e) => e.type === 'tool.returned')).toMatchObject({
      tool: 'search_code',
      isError: false,
    });
    expect(log.some((e) => e.type === 'message.posted' && e.topic === 'inbox:coder-2')).toBe(true);
    const ran = result.analysis.agents.filter((a) => a.modelCalls > 0).map((a) => a.agent);
    expect(ran).toEqual(['planner', 'coder-2']);
  });

  it('the shipped refactor team module runs under its team scenario, claims and messages included', async () => {
    const scenarios = join(repoRoot, 'packages/sim/scenarios');
    const scenario = await loadTeamScenarioFile(join(scenarios, 'refactor-team.json'));
    const result = await runTeamSimulation({
      module: join(scenarios, 'refactor-team.mjs'),
      scenario,
      teams: 3,
      threads: 0,
    });
    const t = result.analysis.totals;
    expect(result.analysis.agents).toHaveLength(8);
    expect(t.claimsGranted).toBeGreaterThan(0);
    expect(t.messages).toBeGreaterThan(0);
    // The reviewer's role denies claim_region: it never holds a claim.
    expect(result.analysis.agents.find((a) => a.agent === 'reviewer-1')?.claims ?? 0).toBe(0);
  });

  it('refuses a scenario naming an agent the module does not have', async () => {
    const scenario = parseTeamScenario({ agents: { nobody: {} } });
    await expect(runTeamSimulation({ module, scenario, threads: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
