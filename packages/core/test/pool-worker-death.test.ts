// A pool worker's death takes only the agents on that worker (issue 12 item 16): with one agent
// per worker, a tool calling process.exit fails and restarts its own agent, and the agents on the
// other workers run on without a failure or a restart.
// Workers load core's dist: build core first (`npx turbo run build --filter=@troupe/core`).

import { describe, expect, it } from 'vitest';
import { drive, makeTeam, PUPPET, script } from './fixtures/harness.js';

describe('a pool worker that exits', () => {
  it('takes only its own agent: the bystanders on other workers never fail or restart', async () => {
    const { team, clock } = makeTeam('pool', {
      placement: { pool: { threads: 2, agentsPerWorker: 1 } },
      supervision: { maxRestarts: 1, windowMs: 60_000 },
    });
    try {
      const bystanders = ['b1', 'b2', 'b3'];
      await team.spawn(PUPPET, { name: 'killer' });
      for (const name of bystanders) await team.spawn(PUPPET, { name });
      const failed: string[] = [];
      const restarted: string[] = [];
      team.on('agent.failed', (e) => failed.push(e.agent));
      const killerBack = new Promise<void>((resolve) =>
        team.on('agent.restarted', (e) => {
          restarted.push(e.agent);
          if (e.agent === 'killer') resolve();
        }),
      );
      // The bystanders are mid-run (waiting in a tool) when the killer's worker exits.
      const runs = bystanders.map((name) =>
        team.send(
          name,
          script({ toolCalls: [{ name: 'slow', arguments: { ms: 100 } }] }, { text: `${name} ok` }),
        ),
      );
      const crashed = await drive(
        team,
        clock,
        team.send('killer', script({ toolCalls: [{ name: 'exit_worker' }] })),
      );
      expect(crashed).toMatchObject({ status: 'failed', error: { code: 'ERR_INTERNAL' } });
      await drive(team, clock, killerBack);
      const results = await drive(team, clock, Promise.all(runs));
      expect(results.map((r) => [r.status, r.text])).toEqual(
        bystanders.map((name) => ['completed', `${name} ok`]),
      );
      expect(failed).toEqual(['killer']);
      expect(restarted).toEqual(['killer']);
      expect((await drive(team, clock, team.send('killer', 'back'))).text).toBe('echo: back');
      expect(team.agents().map((a) => [a.name, a.restarts])).toEqual([
        ['killer', 1],
        ['b1', 0],
        ['b2', 0],
        ['b3', 0],
      ]);
    } finally {
      await team.close();
    }
  }, 30_000);

  it('takes no bystander of a team with a smaller agentsPerWorker on a shared worker', async () => {
    // One worker to start with; `lone` takes it, and as its team allows one agent per worker,
    // the other team's agents go to a worker of their own.
    const lone = makeTeam('pool', { placement: { pool: { threads: 1, agentsPerWorker: 1 } } });
    const crowd = makeTeam('pool', {
      placement: { pool: { threads: 1, agentsPerWorker: 4 } },
      supervision: { maxRestarts: 1, windowMs: 60_000 },
    });
    try {
      await lone.team.spawn(PUPPET, { name: 'a' });
      const failed: string[] = [];
      lone.team.on('agent.failed', (e) => failed.push(`lone:${e.agent}`));
      crowd.team.on('agent.failed', (e) => failed.push(e.agent));
      for (const name of ['c1', 'c2', 'c3']) await crowd.team.spawn(PUPPET, { name });
      let restarts = 0;
      const allBack = new Promise<void>((resolve) =>
        crowd.team.on('agent.restarted', () => {
          if (++restarts === 3) resolve();
        }),
      );
      const crashed = await drive(
        crowd.team,
        crowd.clock,
        crowd.team.send('c1', script({ toolCalls: [{ name: 'exit_worker' }] })),
      );
      expect(crashed.status).toBe('failed');
      await drive(crowd.team, crowd.clock, allBack);
      expect(failed.sort()).toEqual(['c1', 'c2', 'c3']);
      expect((await drive(lone.team, lone.clock, lone.team.send('a', 'hi'))).text).toBe('echo: hi');
    } finally {
      await lone.team.close();
      await crowd.team.close();
    }
  }, 30_000);
});
