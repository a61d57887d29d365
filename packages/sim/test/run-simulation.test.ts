import { isTroupeError } from '@troupe/core';
import { parseScenario, runSimulation, type SimulationOptions } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const scenario = parseScenario({
  name: 'tiny',
  workload: { files: 2 },
  team: { agents: [{ name: 'dev' }] },
});

describe('runSimulation options', () => {
  it.each<[string, Partial<SimulationOptions>]>([
    ['seed', { seed: -1 }],
    ['seed', { seed: 1.5 }],
    ['teams', { teams: 0 }],
    ['threads', { threads: 65 }],
    ['threads', { threads: -1 }],
    ['collectEvents', { collectEvents: 'no' as never }],
    ['onTeamDone', { onTeamDone: 'log' as never }],
  ])(
    'refuses a bad %s with ERR_INVALID_ARGUMENT naming it, before any team runs',
    async (option, bad) => {
      const progress: number[] = [];
      const run = runSimulation({
        scenario,
        onTeamDone: (done) => progress.push(done),
        ...bad,
      });
      const error = await run.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain(option);
      expect(progress).toEqual([]);
    },
  );

  it('reports each finished team through onTeamDone', async () => {
    const progress: [number, number][] = [];
    const result = await runSimulation({
      scenario,
      teams: 3,
      threads: 0,
      onTeamDone: (done, total) => progress.push([done, total]),
    });
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(result.perTeam.map((t) => t.team)).toEqual([0, 1, 2]);
  });
});
