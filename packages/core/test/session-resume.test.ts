import {
  type ChatMessage,
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  RESUMED_TOOL_RESULT,
  SESSION_FORMAT_VERSION,
  type SessionStore,
  SimulatedClock,
  type TeamOptions,
  toolResult,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * An agent that, for each user message, notes it with a tool (a context update), then answers
 * `done: <message>`. With `slowMs`, its model takes that long on the clock.
 */
function noter(clock: SimulatedClock, slowMs = 0) {
  const note = defineTool({
    name: 'note',
    description: 'Notes a fact.',
    input: z.object({ fact: z.string() }),
    run: ({ fact }) => toolResult('noted', [{ op: 'append', key: 'facts', value: fact }]),
  });
  const model = scriptedModel({
    clock,
    latencyMs: slowMs,
    steps: (_request, call) =>
      call.turn === 0
        ? { toolCalls: [{ name: 'note', arguments: { fact: call.lastUser } }] }
        : { text: `done: ${call.lastUser}` },
  });
  return {
    definition: defineAgent({ name: 'noter', instructions: 'Note things.', model, tools: [note] }),
    model,
  };
}

function team(clock: SimulatedClock, store: SessionStore, extra: Partial<TeamOptions> = {}) {
  return createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    store,
    id: 'team-1',
    ...extra,
  });
}

/** Sends and moves the simulated clock until the run ends. */
async function send(clock: SimulatedClock, t: ReturnType<typeof team>, name: string, text: string) {
  const result = t.send(name, text);
  let done = false;
  void result.finally(() => {
    done = true;
  });
  while (!done) {
    await t.settled();
    const next = clock.nextDue();
    if (done || next === undefined) break;
    await clock.advance(Math.max(0, next - clock.now()));
  }
  return result;
}

describe('resume', () => {
  it('restarts an agent from its stored session: history, context and usage', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const first = team(clock, store);
    const { definition } = noter(clock);
    await first.spawn(definition, { name: 'ada' });
    await send(clock, first, 'ada', 'alpha');
    await send(clock, first, 'ada', 'beta');
    const history = await first.history('ada');
    const usage = first.agent('ada')?.usage;
    await first.close();

    const second = team(clock, store);
    await second.spawn(noter(clock).definition, { name: 'ada' });
    expect(await second.history('ada')).toEqual(history);
    expect(await second.context('ada')).toEqual({ facts: ['alpha', 'beta'] });
    expect(second.agent('ada')?.usage).toEqual(usage);
    expect(second.residency().resumed).toBe(1);
    // Run ids go on from the stored session's two runs.
    expect((await second.send('ada', 'gamma')).runId).toBe('ada:3');
    await second.close();
  });

  it('continues the stored session: history appends and snapshot revisions go on from it', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const first = team(clock, store);
    await first.spawn(noter(clock).definition, { name: 'ada' });
    await send(clock, first, 'ada', 'alpha');
    await first.close();
    const revision = (await store.loadSnapshot('team-1/ada'))?.revision ?? 0;

    const second = team(clock, store);
    await second.spawn(noter(clock).definition, { name: 'ada' });
    const result = await send(clock, second, 'ada', 'gamma');
    expect(result.text).toBe('done: gamma');
    await second.close();
    const snapshot = await store.loadSnapshot('team-1/ada');
    expect(snapshot?.revision).toBeGreaterThan(revision);
    expect(snapshot?.context).toEqual({ facts: ['alpha', 'gamma'] });
    const stored = await store.loadHistory('team-1/ada');
    expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'alpha',
      'gamma',
    ]);
    expect(stored).toHaveLength(snapshot?.historyLength ?? -1);
  });

  it('team.resume() spawns every agent of the team that has a stored session', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const first = team(clock, store);
    for (const name of ['ada', 'bob', 'cy']) {
      await first.spawn(noter(clock).definition, { name });
      await send(clock, first, name, `hi ${name}`);
    }
    await first.close();
    const other = team(clock, store, { id: 'team-2' });
    await other.spawn(noter(clock).definition, { name: 'zed' });
    await send(clock, other, 'zed', 'elsewhere');
    await other.close();

    const second = team(clock, store);
    const resumed = await second.resume((name) =>
      name === 'cy' ? undefined : noter(clock).definition,
    );
    expect(resumed.map((a) => a.name).sort()).toEqual(['ada', 'bob']);
    expect(await second.context('bob')).toEqual({ facts: ['hi bob'] });
    await second.close();
  });

  it('gives dangling tool calls of a session that crashed mid-turn a synthetic result', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const crashed: ChatMessage[] = [
      { role: 'user', content: 'alpha' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'c1', name: 'note', arguments: { fact: 'alpha' } },
          { id: 'c2', name: 'note', arguments: { fact: 'again' } },
        ],
      },
      { role: 'tool', toolCallId: 'c1', name: 'note', content: 'noted' },
    ];
    await store.appendHistory('team-1/ada', 0, crashed);
    await store.saveSnapshot({
      sessionId: 'team-1/ada',
      agent: 'ada',
      version: SESSION_FORMAT_VERSION,
      revision: 3,
      context: { facts: ['alpha'] },
      usage: {
        requests: 1,
        inputTokens: 10,
        outputTokens: 5,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
      },
      historyLength: 2,
      updatedAt: 0,
    });
    const t = team(clock, store);
    const { definition, model } = noter(clock);
    await t.spawn(definition, { name: 'ada' });
    const history = await t.history('ada');
    expect(history.slice(0, 3)).toEqual(crashed);
    expect(history[3]).toEqual({
      role: 'tool',
      toolCallId: 'c2',
      name: 'note',
      content: RESUMED_TOOL_RESULT,
      isError: true,
    });
    await send(clock, t, 'ada', 'beta');
    // The model saw a well-formed history: every call answered before the next user message.
    expect(model.requests[0]?.messages.slice(0, 5).map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'tool',
      'user',
    ]);
    await t.close();
    expect((await store.loadHistory('team-1/ada'))[3]).toMatchObject({
      toolCallId: 'c2',
      isError: true,
    });
  });

  it('refuses a session in an unknown format version instead of overwriting it', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    await store.saveSnapshot({
      sessionId: 'team-1/ada',
      agent: 'ada',
      version: SESSION_FORMAT_VERSION + 1,
      revision: 1,
      context: {},
      usage: {
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
      },
      historyLength: 0,
      updatedAt: 0,
    });
    const t = team(clock, store);
    await expect(t.spawn(noter(clock).definition, { name: 'ada' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_VERSION',
    });
    expect(t.agents()).toEqual([]);
    await t.close();
  });
});

describe('passivation', () => {
  it('saves and stops an agent idle longer than idleTtlMs, and brings it back on its next message', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const t = team(clock, store, { idleTtlMs: 1_000 });
    await t.spawn(noter(clock).definition, { name: 'ada' });
    await send(clock, t, 'ada', 'alpha');
    await clock.advance(999);
    expect(t.residency()).toMatchObject({ live: 1, passive: 0, evictions: 0 });
    await clock.advance(1);
    await t.settled();
    expect(t.residency()).toMatchObject({ live: 0, passive: 1, evictions: 1 });
    expect(t.agent('ada')).toMatchObject({ state: 'idle', usage: { requests: 2 } });
    expect(await t.context('ada')).toEqual({ facts: ['alpha'] });

    const result = await send(clock, t, 'ada', 'beta');
    expect(result.text).toBe('done: beta');
    expect(await t.context('ada')).toEqual({ facts: ['alpha', 'beta'] });
    expect(t.residency()).toMatchObject({ live: 1, passive: 0, hits: 1, misses: 1 });
    await t.close();
  });

  it('keeps at most maxActive agents live, passivating the least recently used first', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const t = team(clock, store, { maxActive: 2 });
    for (const name of ['a', 'b', 'c']) await t.spawn(noter(clock).definition, { name });
    await t.settled();
    expect(t.residency()).toMatchObject({ live: 2, passive: 1, evictions: 1 });
    expect((await t.context('a')) && t.agent('a')?.state).toBe('idle');
    await send(clock, t, 'b', 'one'); // b live: a hit
    await send(clock, t, 'a', 'two'); // a passive: a miss; the least recently used (c) goes
    await t.settled();
    const stats = t.residency();
    expect(stats).toMatchObject({ live: 2, passive: 1, hits: 1, misses: 1, evictions: 2 });
    await send(clock, t, 'c', 'three');
    expect(await t.context('c')).toEqual({ facts: ['three'] });
    await t.close();
  });

  it('never passivates an agent in the middle of a run', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const t = team(clock, store, { maxActive: 1 });
    await t.spawn(noter(clock, 5_000).definition, { name: 'busy' });
    await t.spawn(noter(clock).definition, { name: 'quick' });
    await t.settled();
    const long = t.send('busy', 'long'); // misses, brings busy back, quick goes
    await t.settled();
    // quick comes back while busy is mid-run: busy cannot go, so both are live for a while;
    // once quick is done, quick is the one passivated, busy keeps running.
    await send(clock, t, 'quick', 'short');
    await t.settled();
    expect(t.agent('busy')?.state).toBe('callingModel');
    expect(t.residency()).toMatchObject({ live: 1, passive: 1, misses: 2 });
    expect(t.agent('quick')?.state).toBe('idle');
    await clock.runUntilIdle();
    expect((await long).text).toBe('done: long');
    await t.settled();
    expect(t.residency().live).toBe(1);
    await t.close();
  });

  it('holds far more sessions than live actors', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const t = team(clock, store, { maxActive: 5 });
    const names = Array.from({ length: 60 }, (_, i) => `agent-${i}`);
    for (const name of names) await t.spawn(noter(clock).definition, { name });
    for (const name of names) await send(clock, t, name, name);
    await t.settled();
    const stats = t.residency();
    expect(stats.live).toBeLessThanOrEqual(5);
    expect(stats.live + stats.passive).toBe(60);
    for (const name of names.slice(0, 3)) expect(await t.context(name)).toEqual({ facts: [name] });
    await t.close();
  });

  it('rejects idleTtlMs and maxActive without a store, and bad values, naming the option', () => {
    const clock = new SimulatedClock();
    const base = {
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
    };
    expect(() => createTeam({ ...base, idleTtlMs: 1_000 })).toThrow(/need a store/);
    expect(() => createTeam({ ...base, store: createMemorySessionStore(), maxActive: 0 })).toThrow(
      /maxActive/,
    );
    expect(() => createTeam({ ...base, store: createMemorySessionStore(), idleTtlMs: -1 })).toThrow(
      /idleTtlMs/,
    );
  });
});

describe('passivation under concurrent sends', () => {
  it('brings a passive agent back once for two sends at the same time', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const t = team(clock, store, { idleTtlMs: 1_000 });
    await t.spawn(noter(clock).definition, { name: 'ada' });
    await send(clock, t, 'ada', 'alpha');
    await clock.advance(1_000);
    await t.settled();
    expect(t.residency().passive).toBe(1);
    const first = t.send('ada', 'beta');
    const second = t.send('ada', 'gamma');
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe('interrupted'); // the second message interrupts the first, as usual
    expect(b.text).toBe('done: gamma');
    expect(t.residency()).toMatchObject({ live: 1, passive: 0, misses: 1 });
    const users = (await t.history('ada')).filter((m) => m.role === 'user').map((m) => m.content);
    expect(users).toEqual(['alpha', 'beta', 'gamma']);
    await t.close();
  });
});

describe('an agent coming back from passivation', () => {
  it('answers agents(), history() and context() from its session until it is restored', async () => {
    const clock = new SimulatedClock();
    const inner = createMemorySessionStore();
    let slowLoads = false;
    const store: SessionStore = {
      ...inner,
      async loadSnapshot(id) {
        if (slowLoads) await new Promise<void>((resolve) => clock.setTimeout(resolve, 500));
        return inner.loadSnapshot(id);
      },
    };
    const t = team(clock, store, { idleTtlMs: 1_000 });
    await t.spawn(noter(clock).definition, { name: 'ada' });
    await send(clock, t, 'ada', 'alpha');
    await clock.advance(1_000);
    await t.settled();
    expect(t.residency().passive).toBe(1);
    slowLoads = true;
    const run = t.send('ada', 'beta'); // activation waits 500 ms for the snapshot
    await t.settled();
    expect(t.agents()).toMatchObject([{ name: 'ada', state: 'idle', usage: { requests: 2 } }]);
    const history = t.history('ada'); // read from the session (its load is slow too)
    await clock.runUntilIdle();
    expect((await history).map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect((await run).text).toBe('done: beta');
    slowLoads = false;
    expect(await t.context('ada')).toEqual({ facts: ['alpha', 'beta'] });
    await t.close();
  });
});
