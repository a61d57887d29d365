// Residency options of a team. The behaviour of resume, passivation and derived state is the
// shared persistence suite (fixtures/persist-suite), run inline by session-placements.test.ts
// and in the pool by pool-persistence.test.ts.
import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  SimulatedClock,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { validateResidency } from '../src/session/residency.js';

describe('residency options', () => {
  it('are checked by one function: values, and a store when either is set', () => {
    expect(validateResidency({ idleTtlMs: 1_000, maxActive: 2 }, true)).toEqual({
      idleTtlMs: 1_000,
      maxActive: 2,
    });
    expect(validateResidency({}, false)).toEqual({});
    expect(() => validateResidency({ maxActive: 3 }, false)).toThrow(/need a store/);
    expect(() => validateResidency({ maxActive: 1.5 }, true)).toThrow(/maxActive/);
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
