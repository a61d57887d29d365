import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './fixtures.js';

/** Listing and counting: order, scope and type filters, limits. */
export function listContract(ctx: ContractContext): void {
  const { make } = ctx;
  describe('list and count', () => {
    it('list returns entries oldest first, filtered by scope and type, up to limit', async () => {
      const m = make();
      await m.add({ id: 'a', content: 'one', scope: { team: 't' } });
      await ctx.clock.advance(10);
      await m.add({ id: 'b', content: 'two', scope: { team: 't' }, type: 'episodic' });
      await ctx.clock.advance(10);
      await m.add({ id: 'c', content: 'three', scope: { team: 'other' } });
      await ctx.clock.advance(10);
      await m.add({ id: 'd', content: 'four', scope: { team: 't' } });
      expect((await m.list()).map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']);
      expect((await m.list({ scope: { team: 't' } })).map((e) => e.id)).toEqual(['a', 'b', 'd']);
      expect(
        (await m.list({ scope: { team: 't' }, types: ['semantic'] })).map((e) => e.id),
      ).toEqual(['a', 'd']);
      expect((await m.list({ limit: 2 })).map((e) => e.id)).toEqual(['a', 'b']);
      expect(await m.count({ scope: { team: 't' } })).toBe(3);
      expect(await m.count({ types: ['episodic', 'procedural'] })).toBe(1);
    });

    it('filters agree with a naive scan over random entries and filters', async () => {
      const value = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined });
      const scope = fc.record({ team: value, agent: value, session: value, user: value });
      const type = fc.constantFrom('semantic', 'episodic', 'procedural') as fc.Arbitrary<
        'semantic' | 'episodic' | 'procedural'
      >;
      const clean = (s: Record<string, string | undefined>): Record<string, string> =>
        Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ scope, type }), { maxLength: 30 }),
          scope,
          fc.option(fc.uniqueArray(type, { maxLength: 3 }), { nil: undefined }),
          async (entries, filterScope, types) => {
            const m = make();
            for (const [i, e] of entries.entries()) {
              await m.add({
                id: `e${String(i).padStart(2, '0')}`,
                content: 'word',
                type: e.type,
                scope: clean(e.scope),
              });
            }
            const want = clean(filterScope);
            const expected = entries
              .map((e, i) => ({
                ...e,
                id: `e${String(i).padStart(2, '0')}`,
                scope: clean(e.scope),
              }))
              .filter((e) => Object.entries(want).every(([k, v]) => e.scope[k] === v))
              .filter((e) => types === undefined || types.includes(e.type))
              .map((e) => e.id);
            const filter = { scope: want, ...(types === undefined ? {} : { types }) };
            expect((await m.list(filter)).map((e) => e.id)).toEqual(expected);
            expect(await m.count(filter)).toBe(expected.length);
            const hits = await m.search({ ...filter, text: 'word', limit: 100, peek: true });
            expect(hits.map((h) => h.entry.id).sort()).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('a filter on a scope value nobody has admits nothing', async () => {
      const m = make();
      await m.add({ content: 'x', scope: { team: 't' } });
      expect(await m.list({ scope: { team: 'none' } })).toEqual([]);
      expect(await m.count({ scope: { agent: 'nobody' } })).toBe(0);
    });
  });
}
