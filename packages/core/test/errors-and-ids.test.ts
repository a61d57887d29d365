import { createIds, createRng, invalidArgument, isTroupeError, TroupeError } from '@troupe/core';
import { describe, expect, it } from 'vitest';

describe('TroupeError', () => {
  it('carries a stable code and details', () => {
    const error = invalidArgument('ttlMs must be positive', { ttlMs: -1 });
    expect(error).toBeInstanceOf(TroupeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.details).toEqual({ ttlMs: -1 });
    expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(isTroupeError(error, 'ERR_CLOSED')).toBe(false);
  });

  it('is recognised across copies of the class through its brand', () => {
    const foreign = Object.assign(new Error('x'), { code: 'ERR_CLOSED' });
    Object.defineProperty(foreign, Symbol.for('troupe.error'), { value: true });
    expect(foreign instanceof TroupeError).toBe(true);
    expect(new Error('plain') instanceof TroupeError).toBe(false);
  });

  it('serialises to JSON with its code', () => {
    const error = new TroupeError('ERR_TIMEOUT', 'too slow');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'TroupeError',
      code: 'ERR_TIMEOUT',
      message: 'too slow',
    });
  });
});

describe('ids and rng', () => {
  it('seeded ids repeat exactly for the same seed and differ for another', () => {
    const a = createIds({ seed: 42 });
    const b = createIds({ seed: 42 });
    const c = createIds({ seed: 43 });
    const first = [a.next('run'), a.next('run'), a.next()];
    expect([b.next('run'), b.next('run'), b.next()]).toEqual(first);
    expect(c.next('run')).not.toBe(first[0]);
    expect(first[0]).toMatch(/^run_[A-Za-z0-9_-]{21}$/);
  });

  it('unseeded ids are unique', () => {
    const ids = createIds();
    const seen = new Set(Array.from({ length: 1_000 }, () => ids.next()));
    expect(seen.size).toBe(1_000);
  });

  it('rng is deterministic, in range, and forks independent streams', () => {
    const a = createRng('seed');
    const b = createRng('seed');
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const ints = Array.from({ length: 1_000 }, () => a.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    expect(a.fork().next()).not.toBe(a.fork().next());
  });

  it('refuses a bigint seed, a misspelt option and a bad size with ERR_INVALID_ARGUMENT (issue 12)', () => {
    for (const bad of [{ seed: 10n }, { seed: {} }, { seeed: 1 }, null, 5]) {
      expect(() => createIds(bad as never)).toThrowError(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => createIds({ seeed: 1 } as never)).toThrow(/seeed/);
    expect(() => createIds({ seed: 10n } as never)).toThrow(/options\.seed/);
    expect(() => createIds({ seed: 1 }).next('x', -1)).toThrow(/size/);
    expect(() => createIds().next('x', Number.NaN)).toThrow(/size/);
  });

  it('rejects a non-finite numeric seed', () => {
    expect(() => createIds({ seed: Number.NaN })).toThrow(TroupeError);
  });
});
