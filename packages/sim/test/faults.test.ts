import { analyze, parseScenario, renderReport, runTeam, type SimEvent } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const base = {
  name: 'faulty',
  workload: { files: 15 },
  team: { agents: [{ name: 'dev', count: 3 }] },
};

describe('fault injection', () => {
  it('injected faults appear in the log, the totals and the report', async () => {
    const scenario = parseScenario({
      ...base,
      faults: { rateLimited: 0.1, serverError: 0.1, timeout: 0.05, timeoutMs: 10_000, crash: 0.03 },
    });
    const result = await runTeam(scenario, { seed: 2 });
    const totals = result.analysis.totals;
    expect(totals.faults.rate_limited).toBeGreaterThan(0);
    expect(totals.faults.server_error).toBeGreaterThan(0);
    expect(totals.faults.timeout).toBeGreaterThan(0);
    expect(totals.faults.crash).toBeGreaterThan(0);
    // A crash makes the supervisor restart the agent, and the work still gets done.
    expect(totals.agentRestarts).toBe(totals.faults.crash);
    expect(result.finish).toBe('work-done');
    const events = result.lines.map((l) => JSON.parse(l) as SimEvent);
    const analysis = analyze(events);
    const html = renderReport(analysis, {
      scenario: 'faulty',
      seed: 2,
      logHash: result.hash,
    });
    for (const kind of ['rate_limited', 'server_error', 'timeout', 'crash']) {
      expect(html).toContain(
        `<tr data-fault="${kind}"><td>${kind}</td><td>${totals.faults[kind]}</td></tr>`,
      );
    }
    // Each fault is on its agent's row of the timeline and in its figures.
    const marks = analysis.timelines.flatMap((t) => t.marks.filter((m) => m.kind === 'fault'));
    expect(marks).toHaveLength(totals.modelFailures);
    expect(analysis.agents.reduce((n, a) => n + a.faults, 0)).toBe(totals.modelFailures);
    expect(html).toContain('data-kind="fault"');
  });

  it('a scenario without faults injects none', async () => {
    const result = await runTeam(parseScenario(base), { seed: 2 });
    expect(result.analysis.totals.modelFailures).toBe(0);
    expect(result.analysis.totals.faults).toEqual({});
    const events = result.lines.map((l) => JSON.parse(l) as SimEvent);
    const analysis = analyze(events);
    const html = renderReport(analysis, {
      scenario: 'clean',
      seed: 2,
      logHash: result.hash,
    });
    expect(html).toContain('none injected');
  });

  it('rate-limit faults slow the whole team through the limiter', async () => {
    const limits = [{ key: 'model', windowMs: 60_000, requests: 1_000 }];
    const calm = await runTeam(parseScenario({ ...base, limits }), { seed: 4 });
    const stormy = await runTeam(parseScenario({ ...base, limits, faults: { rateLimited: 0.3 } }), {
      seed: 4,
    });
    expect(stormy.analysis.totals.leaseWaitMs).toBeGreaterThan(calm.analysis.totals.leaseWaitMs);
    expect(stormy.analysis.totals.simulatedMs).toBeGreaterThan(calm.analysis.totals.simulatedMs);
  });
});
