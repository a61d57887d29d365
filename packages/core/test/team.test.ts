import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type Model,
  SimulatedClock,
  toolResult,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentSessionId } from '../src/team/persistence.js';
import { makeTeam } from './fixtures/harness.js';

const talker = (text = 'hi') =>
  defineAgent({
    name: 'talker',
    instructions: 'Talk.',
    model: scriptedModel({ steps: () => ({ text }) }),
  });

describe('createTeam', () => {
  let team: ReturnType<typeof makeTeam>['team'] | undefined;
  afterEach(async () => {
    await team?.close();
    team = undefined;
  });

  it.each([
    ['clock', { clock: {} }],
    ['state', { state: {} }],
    ['limiter', { limiter: 1 }],
    ['bus', { bus: null }],
    ['placement', { placement: 'remote' }],
    ['limiterKeys', { limiterKeys: 'm' }],
  ])('rejects a bad %s, naming it', (option, bad) => {
    const clock = new SimulatedClock();
    const good = {
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
    };
    expect(() => createTeam({ ...good, ...bad } as never)).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining(option),
      }),
    );
  });

  it('rejects pool options that are not positive integers', () => {
    expect(() => makeTeam('inline', { placement: { pool: { threads: 0 } } })).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('placement.pool.threads') }),
    );
  });

  it('refuses a second agent with the same name and changes nothing', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(talker(), { name: 'a' });
    await expect(team.spawn(talker(), { name: 'a' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(team.agents().map((a) => a.name)).toEqual(['a']);
  });

  it('answers a message to an unknown agent with ERR_NOT_FOUND', async () => {
    ({ team } = makeTeam('inline'));
    await expect(team.send('ghost', 'hi')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('cancels runs in flight on close and refuses use afterwards', async () => {
    const setup = makeTeam('inline');
    const slow = defineAgent({
      name: 's',
      instructions: '',
      model: scriptedModel({ steps: [{ text: 'late' }], clock: setup.clock, latencyMs: 5_000 }),
    });
    await setup.team.spawn(slow, { name: 's' });
    const run = setup.team.send('s', 'go');
    await setup.team.close();
    expect((await run).status).toBe('cancelled');
    await expect(setup.team.send('s', 'again')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(setup.team.spawn(talker(), { name: 't' })).rejects.toMatchObject({
      code: 'ERR_CLOSED',
    });
    expect(setup.clock.pending()).toBe(0);
  });

  it('stops and removes one agent', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(talker(), { name: 'a' });
    await team.spawn(talker(), { name: 'b' });
    await team.stop('a');
    expect(team.agents().map((a) => a.name)).toEqual(['b']);
  });

  it('spawns from a module export that is a factory of the definition', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(
      { module: new URL('./fixtures/agents.js', import.meta.url).href, export: 'puppet' },
      { name: 'p' },
    );
    expect((await team.send('p', 'yo')).text).toBe('echo: yo');
  });

  it('names a role from the team roles by string', async () => {
    ({ team } = makeTeam('inline', { roles: [{ name: 'reader', denyTools: ['claim_region'] }] }));
    const model = scriptedModel({ steps: [{ text: 'x' }] });
    await team.spawn(defineAgent({ name: 'r', instructions: '', model }), {
      name: 'r',
      role: 'reader',
    });
    await team.send('r', 'x');
    const offered = model.requests[0]?.tools.map((t) => t.name);
    expect(offered).not.toContain('claim_region');
    expect(offered).toContain('list_team');
    expect(team.agent('r')?.role).toBe('reader');
  });
});

describe('agents and the limiter', () => {
  it('settles each lease with the usage the model reported', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'm', windowMs: 60_000, tokens: 10_000, budgetUsd: 1 }],
    });
    const { team } = makeTeam('inline', { clock, limiter });
    const model = scriptedModel({
      id: 'm',
      steps: [{ text: 'a', usage: { inputTokens: 120, outputTokens: 30, costUsd: 0.02 } }],
    });
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'a' });
    const result = await team.send('a', 'go');
    expect(limiter.usage('m')).toMatchObject({ requests: 1, tokens: 150, costUsd: 0.02 });
    expect(result.usage).toMatchObject({
      requests: 1,
      inputTokens: 120,
      outputTokens: 30,
      costUsd: 0.02,
    });
    await team.close();
  });

  it('takes leases on the definition’s keys before the team’s', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [
        { key: 'own', windowMs: 1_000, requests: 10 },
        { key: 'team', windowMs: 1_000, requests: 10 },
      ],
    });
    const { team } = makeTeam('inline', { clock, limiter, limiterKeys: ['team'] });
    await team.spawn(
      defineAgent({
        name: 'a',
        instructions: '',
        model: scriptedModel({ steps: [{ text: 'a' }] }),
        limiterKeys: ['own'],
      }),
      { name: 'a' },
    );
    await team.spawn(talker(), { name: 'b' });
    await team.send('a', 'go');
    await team.send('b', 'go');
    await team.send('b', 'go');
    expect([limiter.usage('own').requests, limiter.usage('team').requests]).toEqual([1, 2]);
    await team.close();
  });

  it('forwards rate-limit feedback from the model to the limiter', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'p', windowMs: 60_000, requests: 100 }],
    });
    const { team } = makeTeam('inline', { clock, limiter, limiterKeys: ['p'] });
    const model: Model = {
      id: 'p',
      async generate(request) {
        request.onRateLimit?.({ remainingRequests: 0, resetRequestsMs: 5_000 });
        return {
          text: 'ok',
          toolCalls: [],
          usage: { inputTokens: 1, outputTokens: 1 },
          stopReason: 'end',
        };
      },
    };
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'a' });
    await team.send('a', 'one');
    expect(limiter.tryAcquire('p').ok).toBe(false);
    await team.close();
  });
});

describe('agents and persistence', () => {
  it('saves each turn’s snapshot and history, and logs team events, flushed on close', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const { team } = makeTeam('inline', { clock, store, id: 'team1' });
    const note = defineTool({
      name: 'note',
      description: 'Remember',
      input: z.object({ text: z.string() }),
      run: ({ text }) =>
        toolResult('ok', [
          { op: 'set', key: 'note', value: text },
          { op: 'set', key: 'api_key', value: 'sk-123' },
        ]),
    });
    const model = scriptedModel({
      steps: [{ toolCalls: [{ name: 'note', arguments: { text: 'hello' } }] }, { text: 'done' }],
    });
    await team.spawn(defineAgent({ name: 'w', instructions: '', model, tools: [note] }), {
      name: 'w',
    });
    await team.send('w', 'go');
    await team.close();
    const sessionId = agentSessionId('team1', 'w');
    const snapshot = await store.loadSnapshot(sessionId);
    expect(snapshot).toMatchObject({
      agent: 'w',
      historyLength: 4,
      context: { note: 'hello' },
      usage: { requests: 2 },
    });
    expect(snapshot?.revision).toBeGreaterThanOrEqual(2); // at least one per turn
    expect(snapshot?.context).not.toHaveProperty('api_key');
    expect((await store.loadHistory(sessionId)).map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    const log = await store.readLog({ sessionId });
    expect(log.map((e) => e.type)).toContain('run.finished');
    expect(log.map((e) => e.type)).toContain('tool.returned');
  });
});
