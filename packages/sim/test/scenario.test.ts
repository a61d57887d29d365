import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TroupeError } from '@troupe/core';
import { defaultScenarioPath, loadScenarioFile, parseScenario } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const minimal = { name: 'tiny', team: { agents: [{ name: 'dev' }] } };

function problems(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (error) {
    expect(error).toBeInstanceOf(TroupeError);
    expect((error as TroupeError).code).toBe('ERR_INVALID_ARGUMENT');
    const issues = (error as TroupeError).details?.issues as { path: string }[] | undefined;
    return (issues ?? []).map((i) => i.path);
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario format', () => {
  it('fills every default from a minimal scenario', () => {
    const scenario = parseScenario(minimal);
    expect(scenario.seed).toBe(1);
    expect(scenario.workload.files).toBe(200);
    expect(scenario.team.agents[0]).toMatchObject({ name: 'dev', count: 1 });
    expect(scenario.faults).toMatchObject({ rateLimited: 0, crash: 0 });
    expect(scenario.behaviour.latencyMs).toEqual({ median: 800, p95: 3_000 });
  });

  it('names the path of a bad nested field', () => {
    expect(problems({ ...minimal, team: { agents: [{ name: 'dev', count: 0 }] } })).toEqual([
      'team.agents[0].count',
    ]);
    expect(problems({ ...minimal, workload: { linesPerFile: [10, 5] } })).toEqual([
      'workload.linesPerFile',
    ]);
    expect(problems({ ...minimal, faults: { crash: 2 } })).toEqual(['faults.crash']);
  });

  it('reports every problem at once', () => {
    const paths = problems({
      name: '',
      team: { agents: [] },
      limits: [{ key: 'x', windowMs: -1 }],
    });
    expect(paths).toEqual(expect.arrayContaining(['name', 'team.agents', 'limits[0].windowMs']));
  });

  it('refuses unknown fields rather than ignoring a typo', () => {
    expect(problems({ ...minimal, faluts: {} })).toEqual(['(root)']);
  });

  it('refuses provider fault chances that add up to more than 1', () => {
    const bad = { ...minimal, faults: { rateLimited: 0.6, serverError: 0.3, timeout: 0.2 } };
    expect(problems(bad)).toEqual(['faults']);
    const full = { ...minimal, faults: { rateLimited: 0.1, serverError: 0.2, timeout: 0.7 } };
    expect(parseScenario(full).faults.timeout).toBe(0.7);
  });

  it('refuses an agent group whose role is not defined', () => {
    expect(problems({ name: 'x', team: { agents: [{ name: 'dev', role: 'ghost' }] } })).toEqual([
      'team.agents[0].role',
    ]);
  });

  it('refuses two agent groups with one name', () => {
    expect(problems({ name: 'x', team: { agents: [{ name: 'dev' }, { name: 'dev' }] } })).toEqual([
      'team.agents[1].name',
    ]);
  });

  it('loads the shipped default scenario', async () => {
    const scenario = await loadScenarioFile(defaultScenarioPath);
    expect(scenario.name).toBe('refactor-200');
    expect(scenario.workload.files).toBe(200);
    expect(scenario.team.agents.reduce((n, g) => n + g.count, 0)).toBe(8);
  });

  it('says which file is not JSON and which is missing', async () => {
    const path = join(tmpdir(), `troupe-bad-${process.pid}.json`);
    await writeFile(path, '{ nope');
    await expect(loadScenarioFile(path)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining(path),
    });
    await expect(loadScenarioFile(`${path}.missing`)).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });
});
