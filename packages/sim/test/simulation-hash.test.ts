import { createHash } from 'node:crypto';
import { parseScenario, runSimulation } from '@troupe/sim';
import { describe, expect, it } from 'vitest';

const scenario = parseScenario({
  name: 'tiny',
  workload: { files: 2 },
  team: { agents: [{ name: 'dev' }] },
});
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the hashes of a simulation result', () => {
  it('logHash is the SHA-256 of the collected log, as events.jsonl holds it', async () => {
    const result = await runSimulation({ scenario, teams: 2, threads: 0 });
    const file = sha256(result.lines.map((line) => `${line}\n`).join(''));
    expect(result.logHash).toBe(file);
    expect(result.hash).toBe(file);
  });

  it('teamsHash is the SHA-256 of the teams hashes in team order, kept log or not', async () => {
    const kept = await runSimulation({ scenario, teams: 2, threads: 0 });
    const bare = await runSimulation({ scenario, teams: 2, threads: 0, collectEvents: false });
    expect(kept.teamsHash).toBe(sha256(kept.perTeam.map((t) => t.hash).join('')));
    expect(bare.teamsHash).toBe(kept.teamsHash);
    expect(bare.logHash).toBeUndefined();
    expect(bare.hash).toBe(bare.teamsHash);
  });
});
