import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type SessionStore,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instrumentedStore } from './session-helpers.js';

const MODEL_MS = 10;
const SLOW_STORE_MS = 300;

/** A run of 5 model calls (4 tool calls, then an answer), each taking 10 ms on the clock. */
async function timeRun(store: SessionStore | undefined, clock: SimulatedClock) {
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    ...(store === undefined ? {} : { store }),
  });
  const add = defineTool({
    name: 'add',
    description: 'Adds.',
    input: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => String(a + b),
  });
  const model = scriptedModel({
    clock,
    latencyMs: MODEL_MS,
    steps: (_request, call) =>
      call.turn < 4
        ? { toolCalls: [{ name: 'add', arguments: { a: call.turn, b: 1 } }] }
        : { text: 'done' },
  });
  await team.spawn(defineAgent({ name: 'adder', instructions: 'Add.', model, tools: [add] }), {
    name: 'ada',
  });
  const turnsAt: number[] = [];
  team.on('turn.started', () => turnsAt.push(clock.now()));
  const start = clock.now();
  const run = team.send('ada', 'go');
  let done = false;
  void run.then(() => {
    done = true;
  });
  while (!done) {
    await team.settled();
    const next = clock.nextDue();
    if (done || next === undefined) break;
    await clock.advance(next - clock.now());
  }
  const result = await run;
  const elapsed = clock.now() - start;
  const closing = team.close();
  await clock.runUntilIdle();
  await closing;
  return { result, elapsed, turnsAt: turnsAt.map((t) => t - start) };
}

describe('a team persisting to a slow store', () => {
  it("does not slow an agent's turns when every store write takes 300 ms", async () => {
    const withoutStore = await timeRun(undefined, new SimulatedClock());
    const clock = new SimulatedClock();
    const slow = instrumentedStore(clock, SLOW_STORE_MS);
    const withSlowStore = await timeRun(slow.store, clock);
    expect(withSlowStore.result.status).toBe('completed');
    expect(withSlowStore.turnsAt).toEqual(withoutStore.turnsAt);
    expect(withSlowStore.elapsed).toBe(withoutStore.elapsed);
    expect(withSlowStore.elapsed).toBe(5 * MODEL_MS);
    // And yet everything was saved, by close() at the latest.
    const sessionId = (await slow.inner.listSessions())[0] ?? '';
    expect(await slow.inner.loadHistory(sessionId)).toHaveLength(10);
    expect((await slow.inner.loadSnapshot(sessionId))?.historyLength).toBe(10);
    expect((await slow.inner.readLog({ sessionId })).length).toBeGreaterThan(0);
  });
});

describe('team flushOnExit', () => {
  it('hooks the session log to exit signals until close(), only when asked', async () => {
    const clock = new SimulatedClock();
    const base = {
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      store: instrumentedStore(clock).store,
    };
    const before = process.listenerCount('SIGTERM');
    const quiet = createTeam(base);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    const hooked = createTeam({ ...base, flushOnExit: true });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('beforeExit')).toBeGreaterThan(0);
    await hooked.close();
    await quiet.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('team persistence errors', () => {
  it('reports store failures to onPersistenceError and never to the agent', async () => {
    const clock = new SimulatedClock();
    const failing = instrumentedStore(clock);
    failing.failNext(1_000);
    const errors: string[] = [];
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      store: failing.store,
      onPersistenceError: (_error, info) => errors.push(`${info.operation}:${info.willRetry}`),
    });
    const model = scriptedModel({ steps: [{ text: 'fine' }] });
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'ada' });
    const result = await team.send('ada', 'hi');
    expect(result).toMatchObject({ status: 'completed', text: 'fine' });
    await clock.advance(200);
    expect(errors).toContain('history:true');
    expect(errors).toContain('log:true');
    failing.failNext(0);
    const closing = team.close();
    await clock.runUntilIdle();
    await closing;
    expect(await failing.inner.listSessions()).toHaveLength(1);
  });
});
