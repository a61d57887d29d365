import {
  defaultScenarioPath,
  loadScenarioFile,
  parseScenario,
  runSimulation,
  runTeam,
} from '@troupe/sim';
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

  it('runs the default scenario to completion', async () => {
    const scenario = await loadScenarioFile(defaultScenarioPath);
    const started = performance.now();
    const result = await runSimulation({ scenario });
    const t = result.analysis.totals;
    console.log(JSON.stringify({ wallMs: Math.round(performance.now() - started), ...t }));
    expect(t.regionsDone).toBe(t.regions);
  });
});
