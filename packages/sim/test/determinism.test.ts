import { parseScenario, runSimulation, runTeam } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const small = parseScenario({
  name: 'small',
  workload: { files: 20 },
  team: {
    roles: [{ name: 'worker' }, { name: 'watcher', denyTools: ['claim_region'] }],
    agents: [
      { name: 'dev', role: 'worker', count: 4 },
      { name: 'watch', role: 'watcher', count: 1 },
    ],
  },
  limits: [{ key: 'model', windowMs: 60_000, requests: 30 }],
  faults: { rateLimited: 0.05, serverError: 0.03, timeout: 0.01, crash: 0.01 },
});

/**
 * Starting two worker threads that load the engine, then running the teams on them: about a
 * second on a quiet machine, several on a loaded 2-core one (vitest's 5 s default is too tight).
 */
const POOL_TIMEOUT_MS = 60_000;

describe('simulation determinism', () => {
  it('the same scenario and seed give a byte-identical event log', async () => {
    const a = await runTeam(small, { seed: 7 });
    const b = await runTeam(small, { seed: 7 });
    expect(a.lines.length).toBeGreaterThan(100);
    expect(b.lines).toEqual(a.lines);
    expect(b.hash).toBe(a.hash);
    expect(a.finish).toBe('work-done');
  });

  it('another seed gives another log', async () => {
    const a = await runTeam(small, { seed: 7 });
    const c = await runTeam(small, { seed: 8 });
    expect(c.hash).not.toBe(a.hash);
  });

  it(
    'the whole log hash is the same inline and across worker threads',
    async () => {
      const inline = await runSimulation({ scenario: small, seed: 3, teams: 3, threads: 0 });
      const pooled = await runSimulation({ scenario: small, seed: 3, teams: 3, threads: 2 });
      expect(pooled.hash).toBe(inline.hash);
      expect(pooled.lines).toEqual(inline.lines);
      expect(new Set(inline.perTeam.map((t) => t.hash)).size).toBe(3);
    },
    POOL_TIMEOUT_MS,
  );

  it('every region of the workload gets done exactly once', async () => {
    const result = await runTeam(small, { seed: 11 });
    const done = result.lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'region.done');
    const ids = done.map((e) => e.region as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(result.analysis.totals.regions);
  });

  it('no two agents ever hold overlapping claims on one file at the same time', async () => {
    const result = await runTeam(small, { seed: 5 });
    // Live grants per file; inclusive ranges overlap when each starts before the other ends.
    const held = new Map<string, { agent: string; start: number; end: number }[]>();
    for (const e of result.lines.map((l) => JSON.parse(l))) {
      if (e.type === 'claim.granted') {
        const live = held.get(e.resource) ?? [];
        // Claiming again (a restarted agent back on its region) replaces the agent's own claim;
        // only another agent's overlapping grant is a violation.
        const others = live.filter((c) => c.agent !== e.agent);
        const overlap = others.find((c) => c.start <= e.end && e.start <= c.end);
        expect(
          overlap,
          `${e.resource} [${e.start}, ${e.end}] granted to ${e.agent} while ${overlap?.agent} held [${overlap?.start}, ${overlap?.end}]`,
        ).toBeUndefined();
        held.set(e.resource, [...others, { agent: e.agent, start: e.start, end: e.end }]);
      } else if (e.type === 'claim.released') {
        const live = held.get(e.resource) ?? [];
        held.set(
          e.resource,
          live.filter((c) => c.agent !== e.agent),
        );
      }
    }
    expect(result.analysis.totals.claimsGranted).toBeGreaterThan(0);
  });

  it('stops at maxSimulatedMs and says so', async () => {
    const short = parseScenario({ ...small, stop: { maxSimulatedMs: 5_000 } });
    const result = await runTeam(short, { seed: 1 });
    expect(result.finish).toBe('max-time');
    expect(result.analysis.totals.regionsDone).toBeLessThan(result.analysis.totals.regions);
  });

  it('stops after maxModelCalls', async () => {
    const capped = parseScenario({ ...small, stop: { maxModelCalls: 25 } });
    const result = await runTeam(capped, { seed: 1 });
    expect(result.finish).toBe('max-model-calls');
  });
});

describe('runTeam options', () => {
  it('refuses a bad seed, team index or flag before running anything', async () => {
    await expect(runTeam(small, { seed: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(runTeam(small, { seed: 1.5 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(runTeam(small, { seed: 1, team: -2 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(
      runTeam(small, { seed: 1, collectEvents: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
