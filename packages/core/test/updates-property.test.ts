import { applyUpdates, type ContextUpdate, isTroupeError } from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type State = Record<string, unknown>;

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The obvious implementation: deep-clone everything on every update. */
function naiveMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  const out = structuredClone(target);
  for (const [k, v] of Object.entries(source)) {
    out[k] = isPlain(v) && isPlain(out[k]) ? naiveMerge(out[k] as State, v) : structuredClone(v);
  }
  return out;
}

function reference(state: State, updates: readonly ContextUpdate[]): State | 'ERR_INVALID_UPDATE' {
  let s = structuredClone(state);
  for (const u of updates) {
    const current = Object.hasOwn(s, u.key) ? s[u.key] : undefined;
    switch (u.op) {
      case 'set':
        s = { ...s, [u.key]: structuredClone(u.value) };
        break;
      case 'delete': {
        const { [u.key]: _removed, ...rest } = s;
        s = rest;
        break;
      }
      case 'append':
        if (current === undefined) s = { ...s, [u.key]: [structuredClone(u.value)] };
        else if (Array.isArray(current))
          s = { ...s, [u.key]: [...current, structuredClone(u.value)] };
        else return 'ERR_INVALID_UPDATE';
        break;
      case 'merge':
        if (current === undefined) s = { ...s, [u.key]: naiveMerge({}, u.value) };
        else if (isPlain(current)) s = { ...s, [u.key]: naiveMerge(current, u.value) };
        else return 'ERR_INVALID_UPDATE';
        break;
    }
  }
  return s;
}

const key = fc.constantFrom('a', 'b', 'c', 'd');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('node'), { maxKeys: 3 }),
  ),
})).node;
const objectValue = fc.dictionary(fc.constantFrom('x', 'y', 'z'), value, { maxKeys: 3 });

const update: fc.Arbitrary<ContextUpdate> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value }),
  fc.record({ op: fc.constant('append' as const), key, value }),
  fc.record({ op: fc.constant('append' as const), key, value }),
  fc.record({ op: fc.constant('merge' as const), key, value: objectValue }),
  fc.record({ op: fc.constant('delete' as const), key }),
);
const state = fc.dictionary(key, value, { maxKeys: 4 });

describe('applyUpdates against a naive reference', () => {
  it('gives the same result or the same ERR_INVALID_UPDATE, over random sequences', () => {
    fc.assert(
      fc.property(state, fc.array(update, { maxLength: 30 }), (s, updates) => {
        const expected = reference(s, updates);
        let actual: State | string;
        try {
          actual = applyUpdates(s, updates);
        } catch (error) {
          actual = isTroupeError(error) ? error.code : String(error);
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never mutates the input state or the updates', () => {
    fc.assert(
      fc.property(state, fc.array(update, { maxLength: 30 }), (s, updates) => {
        const stateBefore = structuredClone(s);
        const updatesBefore = structuredClone(updates);
        try {
          applyUpdates(s, updates);
        } catch {
          // the error case is covered above; only mutation matters here
        }
        expect(s).toEqual(stateBefore);
        expect(updates).toEqual(updatesBefore);
      }),
      { numRuns: 1_000 },
    );
  });

  it('splits a batch anywhere without changing the result', () => {
    fc.assert(
      fc.property(state, fc.array(update, { maxLength: 30 }), fc.nat(), (s, updates, at) => {
        const cut = updates.length === 0 ? 0 : at % updates.length;
        let whole: State | string;
        let split: State | string;
        try {
          whole = applyUpdates(s, updates);
        } catch (error) {
          whole = isTroupeError(error) ? error.code : String(error);
        }
        try {
          split = applyUpdates(applyUpdates(s, updates.slice(0, cut)), updates.slice(cut));
        } catch (error) {
          split = isTroupeError(error) ? error.code : String(error);
        }
        expect(split).toEqual(whole);
      }),
      { numRuns: 1_000 },
    );
  });
});
