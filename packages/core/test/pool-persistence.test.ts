// The persistence suite of teams with agents in the agent pool, plus what only a pool can do:
// lose a worker. Workers load core's dist: build core first
// (`npx tsc -p packages/core/tsconfig.build.json`).
import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  SimulatedClock,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { agentSessionId } from '../src/team/persistence.js';
import { drive, placementOption } from './fixtures/harness.js';
import { NOTER, persistenceSuite } from './fixtures/persist-suite/suite.js';

persistenceSuite('pool');

describe('pool placement with a session store: a worker that dies', () => {
  it('restarts its agents from their sessions, history going on from their last saved turn', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      placement: placementOption('pool'),
      store,
      id: 'crashy',
      supervision: { maxRestarts: 1, windowMs: 60_000 },
    });
    try {
      await team.spawn(NOTER, { name: 'ada' });
      await drive(team, clock, team.send('ada', 'alpha'));
      const restarted = new Promise<void>((resolve) => team.on('agent.restarted', () => resolve()));
      const crashed = await drive(team, clock, team.send('ada', 'crash now'));
      expect(crashed).toMatchObject({ status: 'failed', error: { code: 'ERR_INTERNAL' } });
      await drive(team, clock, restarted);
      // The worker died inside the turn: what it had reported (the first run) came back.
      expect((await team.history('ada')).map((m) => m.role)).toEqual([
        'user',
        'assistant',
        'tool',
        'assistant',
      ]);
      expect(await team.context('ada')).toEqual({ facts: ['alpha'] });
      expect(team.agent('ada')?.usage.requests).toBe(2);
      expect((await drive(team, clock, team.send('ada', 'beta'))).text).toBe('done: beta');
      await team.close();
      const stored = await store.loadHistory(agentSessionId('crashy', 'ada'));
      expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
        'alpha',
        'beta',
      ]);
      expect((await store.loadSnapshot(agentSessionId('crashy', 'ada')))?.historyLength).toBe(8);
    } finally {
      await team.close();
    }
  });
});

describe('pool placement with a session store: turn records', () => {
  it("merges an agent's turn records of one batch into one save", async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const options = {
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      store,
    };
    // Each team has its own bus: agents of one name share a mailbox topic on a shared bus.
    const inline = createTeam({ ...options, bus: createBus({ clock }), id: 'inline' });
    const pool = createTeam({
      ...options,
      bus: createBus({ clock }),
      id: 'pool',
      placement: placementOption('pool'),
    });
    try {
      for (const team of [inline, pool]) {
        await team.spawn(NOTER, { name: 'ada' });
        await drive(team, clock, team.send('ada', 'alpha'));
        await team.close();
      }
      const [a, b] = await Promise.all(
        ['inline', 'pool'].map(async (id) => ({
          snapshot: await store.loadSnapshot(agentSessionId(id, 'ada')),
          history: await store.loadHistory(agentSessionId(id, 'ada')),
        })),
      );
      // Inline: a save after the model's call, one after its (synchronous) result, one after the
      // answer. In the pool the first two leave the worker in one batch, as one record.
      expect(a?.snapshot?.revision).toBe(3);
      expect(b?.snapshot?.revision).toBe(2);
      expect(b?.history).toEqual(a?.history);
      expect(b?.snapshot).toMatchObject({ context: a?.snapshot?.context, historyLength: 4 });
    } finally {
      await inline.close();
      await pool.close();
    }
  });
});
