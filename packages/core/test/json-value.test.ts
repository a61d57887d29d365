import { checkJsonValue, jsonProblem, MAX_JSON_DEPTH } from '@troupe/core/backend';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Nested `levels` deep: `{ a: { a: ... 1 } }`. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** Storable as JSON: stringifies, and parses back to something that stringifies the same. */
function storable(value: unknown): boolean {
  try {
    const text = JSON.stringify(value);
    return text === undefined || JSON.stringify(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

describe('jsonProblem', () => {
  it('accepts plain JSON values, shared references, undefined properties and dates', () => {
    const shared = { x: 1 };
    expect(jsonProblem({ a: [1, 'two', null, true], b: { c: shared, d: shared } })).toBe(undefined);
    expect(jsonProblem({ a: undefined, at: new Date(0) })).toBe(undefined);
    expect(jsonProblem(nested(MAX_JSON_DEPTH))).toBe(undefined);
  });

  it('names what it refuses and where', () => {
    const cyclic: Record<string, unknown> = { list: [] };
    (cyclic.list as unknown[]).push({ back: cyclic });
    expect(jsonProblem({ n: { m: 10n } })).toBe('holds a bigint at .n.m');
    expect(jsonProblem([1, Symbol('s')])).toBe('holds a symbol at [1]');
    expect(jsonProblem({ f: () => 1 })).toBe('holds a function at .f');
    expect(jsonProblem(cyclic)).toBe('holds a cycle at .list[0].back');
    expect(jsonProblem(nested(MAX_JSON_DEPTH + 1))).toBe(
      `is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it('refuses a value past maxBytes, and past maxDepth when the bound is lower', () => {
    expect(jsonProblem({ text: 'x'.repeat(100) }, { maxBytes: 50 })).toBe(
      'is larger than 50 characters as JSON',
    );
    expect(jsonProblem({ text: 'x'.repeat(10) }, { maxBytes: 50 })).toBe(undefined);
    expect(jsonProblem(nested(4), { maxDepth: 3 })).toBe('is nested deeper than 3 levels');
  });

  it('walks values deeper than any stack when the depth bound allows it', () => {
    expect(jsonProblem(nested(100_000), { maxDepth: 200_000 })).toBe(undefined);
    expect(jsonProblem(nested(100_000))).toBe(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('accepts exactly the values JSON stores (property)', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt(),
      fc.constant(undefined),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        // Top-level and array-item undefined are fine for us (JSON writes null or nothing).
        const hasBigint = JSON.stringify(v, (_k, x: unknown) =>
          typeof x === 'bigint' ? '__bigint__' : x,
        )?.includes('"__bigint__"');
        expect(jsonProblem(v) === undefined).toBe(!hasBigint && storable(v));
      }),
      { numRuns: 500 },
    );
  });

  it('checkJsonValue throws ERR_INVALID_ARGUMENT naming the value', () => {
    expect(() => checkJsonValue({ n: 1n }, 'entry.data')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => checkJsonValue({ n: 1n }, 'entry.data')).toThrow(/entry\.data .* bigint at \.n/);
  });
});
