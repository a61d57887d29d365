import { applyUpdates, type ContextUpdate, type TroupeError } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';

/** Freezes a value all the way down, so any mutation of the input throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('applyUpdates', () => {
  describe('order (docs/updates.md examples)', () => {
    it('set [9,8] then append 1 gives [9,8,1]', () => {
      const next = applyUpdates({}, [
        { op: 'set', key: 'xs', value: [9, 8] },
        { op: 'append', key: 'xs', value: 1 },
      ]);
      expect(next).toEqual({ xs: [9, 8, 1] });
    });

    it('append then set gives the set value', () => {
      const next = applyUpdates({ xs: [1] }, [
        { op: 'append', key: 'xs', value: 2 },
        { op: 'set', key: 'xs', value: 'replaced' },
      ]);
      expect(next).toEqual({ xs: 'replaced' });
    });

    it('append, append, delete, append 3 gives [3]', () => {
      const next = applyUpdates({ xs: [0] }, [
        { op: 'append', key: 'xs', value: 1 },
        { op: 'append', key: 'xs', value: 2 },
        { op: 'delete', key: 'xs' },
        { op: 'append', key: 'xs', value: 3 },
      ]);
      expect(next).toEqual({ xs: [3] });
    });

    it('keeps each key in its own order when updates interleave', () => {
      const next = applyUpdates({ a: ['a0'] }, [
        { op: 'append', key: 'a', value: 'a1' },
        { op: 'append', key: 'b', value: 'b1' },
        { op: 'append', key: 'a', value: 'a2' },
        { op: 'set', key: 'c', value: 1 },
        { op: 'append', key: 'b', value: 'b2' },
        { op: 'merge', key: 'm', value: { x: 1 } },
        { op: 'append', key: 'a', value: 'a3' },
        { op: 'merge', key: 'm', value: { y: 2 } },
      ]);
      expect(next).toEqual({
        a: ['a0', 'a1', 'a2', 'a3'],
        b: ['b1', 'b2'],
        c: 1,
        m: { x: 1, y: 2 },
      });
    });
  });

  describe('each op', () => {
    it('set adds or replaces a key', () => {
      expect(
        applyUpdates({ a: 1 }, [
          { op: 'set', key: 'a', value: 2 },
          { op: 'set', key: 'b', value: null },
        ]),
      ).toEqual({
        a: 2,
        b: null,
      });
    });

    it('append on a missing key starts a list', () => {
      expect(applyUpdates({}, [{ op: 'append', key: 'xs', value: 'first' }])).toEqual({
        xs: ['first'],
      });
    });

    it('append pushes a list value as one element', () => {
      expect(applyUpdates({ xs: [1] }, [{ op: 'append', key: 'xs', value: [2, 3] }])).toEqual({
        xs: [1, [2, 3]],
      });
    });

    it('delete removes a key, and deleting a missing key is a no-op', () => {
      const next = applyUpdates({ a: 1, b: 2 }, [
        { op: 'delete', key: 'a' },
        { op: 'delete', key: 'zzz' },
      ]);
      expect(next).toEqual({ b: 2 });
      expect(Object.hasOwn(next, 'a')).toBe(false);
    });

    it('merge deep-merges plain objects and replaces everything else', () => {
      const next = applyUpdates({ cfg: { a: 1, nested: { x: 1, y: [1, 2] }, keep: true } }, [
        {
          op: 'merge',
          key: 'cfg',
          value: { a: 2, nested: { y: [3], z: { deep: 1 } }, added: 'yes' },
        },
      ]);
      expect(next).toEqual({
        cfg: { a: 2, nested: { x: 1, y: [3], z: { deep: 1 } }, keep: true, added: 'yes' },
      });
    });

    it('merge replaces a nested non-object with an object, and an object with a non-object', () => {
      const next = applyUpdates({ cfg: { a: 1, b: { c: 1 } } }, [
        { op: 'merge', key: 'cfg', value: { a: { now: 'object' }, b: 5 } },
      ]);
      expect(next).toEqual({ cfg: { a: { now: 'object' }, b: 5 } });
    });

    it('merge on a missing key starts an object', () => {
      expect(applyUpdates({}, [{ op: 'merge', key: 'm', value: { a: { b: 1 } } }])).toEqual({
        m: { a: { b: 1 } },
      });
    });

    it('returns an empty batch as an equal new object', () => {
      const state = { a: 1 };
      const next = applyUpdates(state, []);
      expect(next).toEqual(state);
      expect(next).not.toBe(state);
    });

    it('reads keys like toString and constructor as own keys, not prototype members', () => {
      const next = applyUpdates({}, [
        { op: 'append', key: 'toString', value: 1 },
        { op: 'merge', key: 'constructor', value: { a: 1 } },
      ]);
      expect(next.toString).toEqual([1]);
      expect(next.constructor).toEqual({ a: 1 });
    });
  });

  describe('immutability', () => {
    it('does not mutate the input state, its lists or its nested objects', () => {
      const state = deepFreeze({ xs: [1, 2], cfg: { a: { b: 1 } }, gone: 1 });
      const next = applyUpdates(state, [
        { op: 'append', key: 'xs', value: 3 },
        { op: 'append', key: 'xs', value: 4 },
        { op: 'merge', key: 'cfg', value: { a: { c: 2 } } },
        { op: 'merge', key: 'cfg', value: { a: { d: 3 } } },
        { op: 'delete', key: 'gone' },
      ]);
      expect(state).toEqual({ xs: [1, 2], cfg: { a: { b: 1 } }, gone: 1 });
      expect(next).toEqual({ xs: [1, 2, 3, 4], cfg: { a: { b: 1, c: 2, d: 3 } } });
    });

    it('does not mutate a list given by set when appending onto it', () => {
      const given = deepFreeze([9, 8]);
      const next = applyUpdates({}, [
        { op: 'set', key: 'xs', value: given },
        { op: 'append', key: 'xs', value: 1 },
      ]);
      expect(given).toEqual([9, 8]);
      expect(next.xs).toEqual([9, 8, 1]);
    });

    it('does not mutate merge values', () => {
      const value = deepFreeze({ a: { b: 1 } });
      const next = applyUpdates({}, [
        { op: 'merge', key: 'm', value },
        { op: 'merge', key: 'm', value: { a: { c: 2 } } },
      ]);
      expect(value).toEqual({ a: { b: 1 } });
      expect(next.m).toEqual({ a: { b: 1, c: 2 } });
    });

    it('shares untouched values with the input', () => {
      const untouched = { big: [1, 2, 3] };
      const next = applyUpdates({ untouched, xs: [] }, [{ op: 'append', key: 'xs', value: 1 }]);
      expect(next.untouched).toBe(untouched);
    });

    it('gives two results from the same input independent lists', () => {
      const state = { xs: [1] };
      const a = applyUpdates(state, [{ op: 'append', key: 'xs', value: 'a' }]);
      const b = applyUpdates(state, [{ op: 'append', key: 'xs', value: 'b' }]);
      expect([a.xs, b.xs, state.xs]).toEqual([[1, 'a'], [1, 'b'], [1]]);
    });
  });

  describe('errors', () => {
    it('refuses append onto a non-list with ERR_INVALID_UPDATE', () => {
      for (const current of [1, 'text', { a: 1 }, null, true]) {
        const state = deepFreeze({ k: current });
        expect(codeOf(() => applyUpdates(state, [{ op: 'append', key: 'k', value: 1 }]))).toBe(
          'ERR_INVALID_UPDATE',
        );
        expect(state).toEqual({ k: current });
      }
    });

    it('refuses merge onto a non-object with ERR_INVALID_UPDATE', () => {
      for (const current of [1, 'text', [1], null]) {
        const state = deepFreeze({ k: current });
        expect(
          codeOf(() => applyUpdates(state, [{ op: 'merge', key: 'k', value: { a: 1 } }])),
        ).toBe('ERR_INVALID_UPDATE');
      }
    });

    it('refuses append onto an object merged earlier in the same batch (regression)', () => {
      expect(
        codeOf(() =>
          applyUpdates({}, [
            { op: 'merge', key: 'b', value: {} },
            { op: 'append', key: 'b', value: null },
          ]),
        ),
      ).toBe('ERR_INVALID_UPDATE');
    });

    it('refuses merge onto a list appended earlier in the same batch', () => {
      expect(
        codeOf(() =>
          applyUpdates({}, [
            { op: 'append', key: 'b', value: 1 },
            { op: 'merge', key: 'b', value: { a: 1 } },
          ]),
        ),
      ).toBe('ERR_INVALID_UPDATE');
    });

    it('refuses an invalid update late in a batch without touching the input', () => {
      const state = deepFreeze({ xs: [1], n: 5 });
      expect(
        codeOf(() =>
          applyUpdates(state, [
            { op: 'append', key: 'xs', value: 2 },
            { op: 'append', key: 'n', value: 1 },
          ]),
        ),
      ).toBe('ERR_INVALID_UPDATE');
      expect(state).toEqual({ xs: [1], n: 5 });
    });

    it('names the failing update in the error details', () => {
      try {
        applyUpdates({ n: 1 }, [
          { op: 'set', key: 'a', value: 1 },
          { op: 'append', key: 'n', value: 1 },
        ]);
        expect.unreachable();
      } catch (error) {
        expect((error as TroupeError).details).toEqual({ index: 1, op: 'append', key: 'n' });
      }
    });

    const malformed: [string, unknown, unknown][] = [
      ['a null state', null, []],
      ['an array state', [], []],
      ['a class-instance state', new Map(), []],
      ['updates that are not an array', {}, { op: 'set', key: 'a', value: 1 }],
      ['a null update', {}, [null]],
      ['an unknown op', {}, [{ op: 'push', key: 'a', value: 1 }]],
      ['a missing op', {}, [{ key: 'a', value: 1 }]],
      ['an empty key', {}, [{ op: 'set', key: '', value: 1 }]],
      ['a non-string key', {}, [{ op: 'set', key: 1, value: 1 }]],
      ['a __proto__ key', {}, [{ op: 'set', key: '__proto__', value: {} }]],
      ['a set without value', {}, [{ op: 'set', key: 'a' }]],
      ['an append without value', {}, [{ op: 'append', key: 'a' }]],
      ['a merge of a non-object', {}, [{ op: 'merge', key: 'a', value: [1] }]],
      ['a merge of null', {}, [{ op: 'merge', key: 'a', value: null }]],
      [
        'a merge containing __proto__',
        {},
        [{ op: 'merge', key: 'a', value: JSON.parse('{"x":{"__proto__":{"p":1}}}') }],
      ],
    ];
    for (const [what, state, updates] of malformed) {
      it(`refuses ${what} with ERR_INVALID_ARGUMENT`, () => {
        expect(
          codeOf(() => applyUpdates(state as Record<string, unknown>, updates as ContextUpdate[])),
        ).toBe('ERR_INVALID_ARGUMENT');
      });
    }

    it('refuses a malformed update late in a batch and leaves the input unchanged', () => {
      const state = deepFreeze({ xs: [1] });
      expect(
        codeOf(() =>
          applyUpdates(state, [
            { op: 'append', key: 'xs', value: 2 },
            { op: 'append', key: 'xs', value: 3 },
            { op: 'bogus', key: 'xs' } as unknown as ContextUpdate,
          ]),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
      expect(state).toEqual({ xs: [1] });
    });

    it('refuses an append without value in a run of appends to one key', () => {
      expect(
        codeOf(() =>
          applyUpdates({}, [
            { op: 'append', key: 'xs', value: 1 },
            { op: 'append', key: 'xs' } as unknown as ContextUpdate,
          ]),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
    });

    it('reports the first bad update in order', () => {
      expect(
        codeOf(() =>
          applyUpdates({ n: 1 }, [
            { op: 'append', key: 'n', value: 1 },
            { op: 'bogus', key: 'a' } as unknown as ContextUpdate,
          ]),
        ),
      ).toBe('ERR_INVALID_UPDATE');
    });
  });
});
