import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { instrumentedStore } from './session-helpers.js';

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
