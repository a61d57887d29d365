// The shared agent/team suite in the agent pool, plus what only a pool can do: lose a worker.
// Workers load core's dist: build core first (`npx turbo run build --filter=@troupe/core`).

import { createMemorySessionStore, defineAgent } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { agentSessionId } from '../src/team/persistence.js';
import { agentSuite } from './fixtures/agent-suite.js';
import { drive, makeTeam, PUPPET, script, TEAMMATE } from './fixtures/harness.js';

agentSuite('pool');

describe('pool placement', () => {
  it('loses only the dead worker’s agents, and the supervisor restarts them', async () => {
    const { team, clock } = makeTeam('pool', { supervision: { maxRestarts: 1, windowMs: 60_000 } });
    try {
      // Agents go to the least loaded worker: spawned alternately, the a's share one worker
      // and the b's the other.
      const names = ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3'];
      for (const name of names) await team.spawn(PUPPET, { name });
      const failed: string[] = [];
      const restarted: string[] = [];
      team.on('agent.failed', (e) => failed.push(e.agent));
      const allBack = new Promise<void>((resolve) =>
        team.on('agent.restarted', (e) => {
          restarted.push(e.agent);
          if (restarted.length === 4) resolve();
        }),
      );
      const survivor = team.send(
        'b0',
        script({ toolCalls: [{ name: 'slow', arguments: { ms: 100 } }] }, { text: 'b0 ok' }),
      );
      const crashed = await drive(
        team,
        clock,
        team.send('a0', script({ toolCalls: [{ name: 'exit_worker' }] })),
      );
      expect(crashed).toMatchObject({ status: 'failed', error: { code: 'ERR_INTERNAL' } });
      await drive(team, clock, allBack);
      expect(failed.sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
      expect(restarted.sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
      expect((await drive(team, clock, survivor)).text).toBe('b0 ok');
      expect((await drive(team, clock, team.send('a1', 'back'))).text).toBe('echo: back');
      expect(team.agents().map((a) => [a.name, a.restarts])).toEqual(
        names.map((n) => [n, n.startsWith('a') ? 1 : 0]),
      );
    } finally {
      await team.close();
    }
  }, 30_000); // the restarts wait for a new worker to boot (the live one is full)

  it('refuses a definition object: a pool spawns agents by module', async () => {
    const { team } = makeTeam('pool');
    try {
      const definition = defineAgent({
        name: 'x',
        instructions: '',
        model: scriptedModel({ steps: [] }),
      });
      await expect(team.spawn(definition, { name: 'x' })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      expect(team.agents()).toEqual([]);
    } finally {
      await team.close();
    }
  });
});

describe('pool placement with a session store', () => {
  it('saves each turn from the worker and logs the events it forwards', async () => {
    const store = createMemorySessionStore();
    const { team, clock } = makeTeam('pool', { store, id: 'pooled' });
    await team.spawn(PUPPET, { name: 'p' });
    await drive(
      team,
      clock,
      team.send(
        'p',
        script(
          { toolCalls: [{ name: 'set_ctx', arguments: { key: 'k', value: 1 } }] },
          { text: 'saved' },
        ),
      ),
    );
    await team.close();
    const sessionId = agentSessionId('pooled', 'p');
    expect(await store.loadSnapshot(sessionId)).toMatchObject({
      agent: 'p',
      context: { k: [1] },
      historyLength: 4,
    });
    expect((await store.loadHistory(sessionId)).map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect((await store.readLog({ sessionId })).map((e) => e.type)).toContain('tool.returned');
  });

  it('lets two teams share the one pool at once', async () => {
    const first = makeTeam('pool');
    const second = makeTeam('pool');
    try {
      await first.team.spawn(PUPPET, { name: 'x' });
      await second.team.spawn(PUPPET, { name: 'x' });
      const [a, b] = await Promise.all([
        drive(first.team, first.clock, first.team.send('x', 'one')),
        drive(second.team, second.clock, second.team.send('x', 'two')),
      ]);
      expect([a.text, b.text]).toEqual(['echo: one', 'echo: two']);
    } finally {
      await first.team.close();
      await second.team.close();
    }
  });
});

describe('the same team in both placements', () => {
  /** Runs the 8-agent team and returns everything observable about how it ended. */
  async function outcome(kind: 'inline' | 'pool') {
    const { team, clock, state, bus } = makeTeam(kind);
    try {
      const names = Array.from({ length: 8 }, (_, i) => `a${i}`);
      for (const name of names) await team.spawn(TEAMMATE, { name });
      const conflicts: string[] = [];
      team.on('claim.conflicted', (e) =>
        conflicts.push(`${e.agent}->${e.holder}@${e.start}-${e.end}`),
      );
      const results = await drive(
        team,
        clock,
        Promise.all(names.map((n) => team.send(n, 'refactor'))),
      );
      const histories = await Promise.all(names.map((n) => team.history(n)));
      const inboxes = await Promise.all(names.map((n) => bus.read(`inbox:${n}`)));
      return {
        results: results.map(({ status, text, turns, usage }) => ({ status, text, turns, usage })),
        conflicts: conflicts.sort(),
        claims: (await state.claims())
          .map((c) => `${c.agent}:${c.resource}:${c.start}-${c.end}`)
          .sort(),
        discoveries: (await state.discoveries()).map((d) => `${d.agent}:${d.content}`).sort(),
        inboxes: inboxes.map((messages) => messages.map((m) => `${m.from}:${m.body}`)),
        histories: histories.map((h) =>
          h.map((m) => (m.role === 'tool' ? `tool:${m.name}:${m.isError === true}` : m.role)),
        ),
        agents: team.agents().map(({ name, state: s, usage }) => ({ name, state: s, usage })),
      };
    } finally {
      await team.close();
    }
  }

  it('runs the 8-agent team to the same outcome inline and in the pool', async () => {
    const inline = await outcome('inline');
    expect(inline.results.every((r) => r.status === 'completed')).toBe(true);
    expect(await outcome('pool')).toEqual(inline);
  });
});
