// runSimulation's kept worker pool (one per process, resized between simulations): reuse across
// calls, batching, refusal of another size while in use, closeSimulationPools.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeSimulationPools, parseScenario, runSimulation } from '@troupe/sim';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Worker pools on a shared 2-core machine: a named bound per test rather than the 5 s default.
vi.setConfig({ testTimeout: 60_000 });

const tiny = parseScenario({
  name: 'tiny-teams',
  workload: { files: 3, regionsPerFile: [1, 2], turnsPerRegion: [1, 1] },
  team: { agents: [{ name: 'dev', count: 3 }] },
  faults: { rateLimited: 0.05 },
});

afterAll(closeSimulationPools);

describe('simulation worker pools', () => {
  it('a second run on a kept pool gives the same log as the first', async () => {
    const first = await runSimulation({ scenario: tiny, seed: 2, teams: 6, threads: 2 });
    const second = await runSimulation({ scenario: tiny, seed: 2, teams: 6, threads: 2 });
    expect(second.hash).toBe(first.hash);
    expect(second.lines).toEqual(first.lines);
  });

  it('shrinking batches across many teams keep every team, in order, as inline', async () => {
    // 70 teams on 2 threads: batches of 8 first, then smaller down to single teams.
    const inline = await runSimulation({ scenario: tiny, seed: 4, teams: 70, threads: 0 });
    const pooled = await runSimulation({ scenario: tiny, seed: 4, teams: 70, threads: 2 });
    expect(pooled.perTeam.map((t) => t.team)).toEqual([...Array(70).keys()]);
    expect(pooled.perTeam.map((t) => t.hash)).toEqual(inline.perTeam.map((t) => t.hash));
    expect(pooled.hash).toBe(inline.hash);
  });

  it('pools of different thread counts give one hash', async () => {
    const hashes = new Set<string>();
    for (const threads of [1, 2, 3]) {
      const run = await runSimulation({ scenario: tiny, seed: 9, teams: 10, threads });
      hashes.add(run.hash);
    }
    expect(hashes.size).toBe(1);
  });

  it('one pool per process: another size is refused while a simulation runs on it', async () => {
    const running = runSimulation({ scenario: tiny, seed: 3, teams: 8, threads: 2 });
    // The same size shares the pool; another would close it under the running simulation.
    const same = runSimulation({ scenario: tiny, seed: 3, teams: 8, threads: 2 });
    await expect(
      runSimulation({ scenario: tiny, seed: 3, teams: 8, threads: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    const [first, second] = await Promise.all([running, same]);
    expect(second.hash).toBe(first.hash);
    // Once it ended, the pool resizes to the new count and gives the same log.
    const resized = await runSimulation({ scenario: tiny, seed: 3, teams: 8, threads: 1 });
    expect(resized.hash).toBe(first.hash);
  });

  it('runs again on fresh workers after closeSimulationPools', async () => {
    const before = await runSimulation({ scenario: tiny, seed: 5, teams: 4, threads: 2 });
    await closeSimulationPools();
    await closeSimulationPools();
    const after = await runSimulation({ scenario: tiny, seed: 5, teams: 4, threads: 2 });
    expect(after.hash).toBe(before.hash);
  });

  it('a process that never closes the pools still exits after its simulation', async () => {
    // Plain Node in a child process (the built package): kept idle workers must not hold it open.
    const script = `
      import { parseScenario, runSimulation } from '@troupe/sim';
      const scenario = parseScenario({ name: 't', workload: { files: 3 }, team: { agents: [{ name: 'dev' }] } });
      const result = await runSimulation({ scenario, teams: 6, threads: 2 });
      console.log(result.perTeam.length);
    `;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd, timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('6');
  });
});
