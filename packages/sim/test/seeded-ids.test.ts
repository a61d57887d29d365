import { createIds } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { seededIds } from '../src/engine/seeded-ids.js';

describe('seededIds', () => {
  it('makes exactly the ids of core createIds with the same seed', () => {
    const ours = seededIds('7:3:ids');
    const core = createIds({ seed: '7:3:ids' });
    const calls: [string | undefined, number | undefined][] = [
      ['msg', 16],
      ['ask', 16],
      [undefined, undefined],
      ['', 5],
      ['handoff', 16],
      ['team', 1],
      [undefined, 1_024],
      ['é', 21],
    ];
    for (let round = 0; round < 50; round++) {
      for (const [prefix, size] of calls)
        expect(ours.next(prefix, size)).toBe(core.next(prefix, size));
    }
  });

  it('refuses what core refuses, with the same error, and draws nothing for it', () => {
    const ours = seededIds('1:0:ids');
    const core = createIds({ seed: '1:0:ids' });
    for (const [prefix, size] of [
      [7, 16],
      ['msg', 0],
      ['msg', 1.5],
      ['msg', 1_025],
    ] as [never, number][]) {
      expect(() => ours.next(prefix, size)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
      expect(() => core.next(prefix, size)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(ours.next('msg', 16)).toBe(core.next('msg', 16));
  });
});
