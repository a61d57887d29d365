import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type Model,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';

// Issue 12, item 13: with a `store`, the session log must not make the hub want `model.delta`
// (a listener for it turns streaming on for every model call).
function recordingModel(): { model: Model; streamed: boolean[] } {
  const inner = scriptedModel({ steps: [{ text: 'one' }, { text: 'two' }] });
  const streamed: boolean[] = [];
  const model: Model = {
    id: inner.id,
    generate: (request) => {
      streamed.push(request.onDelta !== undefined);
      return inner.generate(request);
    },
  };
  return { model, streamed };
}

describe('persistence never turns streaming on', () => {
  it('with a store and no model.delta listener, no call streams and no delta is logged', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      store,
    });
    const { model, streamed } = recordingModel();
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'ada' });
    await team.send('ada', 'hi');
    const closing = team.close();
    await clock.runUntilIdle();
    await closing;
    expect(streamed).toEqual([false]);
    const types = new Set((await store.readLog({ limit: 10_000 })).map((e) => e.type));
    expect(types.has('model.answered')).toBe(true);
    expect(types.has('run.finished')).toBe(true);
    expect(types.has('model.delta')).toBe(false);
  });

  it('a model.delta listener still turns streaming on, store or not', async () => {
    const clock = new SimulatedClock();
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      store: createMemorySessionStore(),
    });
    const deltas: unknown[] = [];
    team.on('model.delta', (e) => deltas.push(e.delta));
    const { model, streamed } = recordingModel();
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'ada' });
    await team.send('ada', 'hi');
    const closing = team.close();
    await clock.runUntilIdle();
    await closing;
    expect(streamed).toEqual([true]);
  });
});
