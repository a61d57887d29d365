// Many teams streamed to disk: the file, its hash and its analysis match the in-memory run.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyzeEventLogFile,
  closeSimulationPools,
  parseScenario,
  parseTeamScenario,
  runSimulation,
  writeSimulation,
} from '@troupe/sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Worker pools on a shared 2-core machine: a named bound rather than the 5 s default.
vi.setConfig({ testTimeout: 60_000 });

const tiny = parseScenario({
  name: 'tiny-stream',
  workload: { files: 3, regionsPerFile: [1, 2], turnsPerRegion: [1, 1] },
  team: { agents: [{ name: 'dev', count: 3 }] },
  faults: { rateLimited: 0.05, crash: 0.02 },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'troupe-stream-'));
});
afterAll(async () => {
  await closeSimulationPools();
  await rm(dir, { recursive: true, force: true });
});

describe('writeSimulation', () => {
  it('streams the same bytes and hash as the in-memory log, inline and on threads', async () => {
    const memory = await runSimulation({ scenario: tiny, seed: 3, teams: 40, threads: 0 });
    for (const threads of [0, 2]) {
      const { result, files } = await writeSimulation(join(dir, `t${threads}`), {
        scenario: tiny,
        seed: 3,
        teams: 40,
        threads,
      });
      const bytes = await readFile(files.events);
      expect(bytes.toString('utf8')).toBe(`${memory.lines.join('\n')}\n`);
      expect(result.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(result.hash).toBe(memory.hash);
      expect(result.lines).toEqual([]);
      expect(result.analysis.totals).toEqual(memory.analysis.totals);
      expect(result.analysis.perTeam).toHaveLength(40);
    }
  });

  it('reading the file back as a stream gives the same analysis and hash', async () => {
    const { result, files } = await writeSimulation(join(dir, 'back'), {
      scenario: tiny,
      seed: 4,
      teams: 12,
      threads: 0,
    });
    const log = await analyzeEventLogFile(files.events);
    expect(log.source).toBe('simulation');
    expect(log.sha256).toBe(result.hash);
    expect(log.events).toBe(result.eventCount);
    expect(log.scenario).toBe('tiny-stream');
    expect(log.seed).toBe(4);
    expect(log.analysis.totals).toEqual(result.analysis.totals);
    expect(log.analysis.agents).toEqual(result.analysis.agents);
    expect(log.analysis.perTeam).toEqual(result.analysis.perTeam);
  });

  it('a team module that cannot be loaded leaves no output and no folder behind', async () => {
    const out = join(dir, 'never', 'made');
    await expect(
      writeSimulation(out, {
        module: join(dir, 'no-such-team.mjs'),
        scenario: parseTeamScenario({}),
        threads: 0,
      }),
    ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('refuses collectEvents together with an event log stream', async () => {
    await expect(
      runSimulation({ scenario: tiny, collectEvents: true, eventLog: process.stdout }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
