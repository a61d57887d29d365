// The MemoryStore contract: one suite, run against every backend (test/contract.test.ts here;
// any other implementation imports it from @troupe/memory/testing).
import { isTroupeError, SimulatedClock } from '@troupe/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryStore, MemoryStoreOptions } from '../index.js';

const DAY = 86_400_000;

/** Hand-made 4-dimension vectors: cosine with `Q` is 1, 0.8, 0.6 and 0 respectively. */
const Q = new Float32Array([1, 0, 0, 0]);
const V1 = new Float32Array([1, 0, 0, 0]);
const V08 = new Float32Array([0.8, 0.6, 0, 0]);
const V06 = new Float32Array([0.6, 0.8, 0, 0]);
const V0 = new Float32Array([0, 0, 1, 0]);

async function rejectsWith(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTroupeError(error), `expected a TroupeError, got ${String(error)}`).toBe(true);
  if (!isTroupeError(error)) return;
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.details?.field).toBe(field);
}

/**
 * The {@link MemoryStore} contract as a vitest suite: entries, validation, list and count,
 * ranking, scopes, types, limits, decay, hand-computed scores, lifecycle. `create` gets the
 * options a test wants and returns a fresh, empty store; the suite closes it.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@troupe/memory';
 * import { memoryStoreContract } from '@troupe/memory/testing';
 *
 * memoryStoreContract('sqlite', (options) => createSqliteStore(options));
 * ```
 */
export function memoryStoreContract(
  name: string,
  create: (options: MemoryStoreOptions) => MemoryStore,
): void {
  describe(`MemoryStore contract: ${name}`, () => {
    let clock: SimulatedClock;
    const open: MemoryStore[] = [];
    const make = (options: Partial<MemoryStoreOptions> = {}): MemoryStore => {
      clock = options.clock instanceof SimulatedClock ? options.clock : new SimulatedClock(1_000);
      const store = create({ clock, ...options });
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    describe('entries', () => {
      it('add fills defaults and times from the clock', async () => {
        const m = make();
        await clock.advance(500);
        const e = await m.add({ content: 'the sky is blue' });
        expect(e).toMatchObject({
          content: 'the sky is blue',
          type: 'semantic',
          importance: 0.5,
          tags: [],
          scope: {},
          evergreen: false,
          createdAt: 1_500,
          accessedAt: 1_500,
          accessCount: 0,
        });
        expect(e.id).toMatch(/^mem_/);
        expect(e.embedding).toBeUndefined();
      });

      it('add keeps every given field', async () => {
        const m = make({ dimensions: 4 });
        const e = await m.add({
          id: 'x1',
          content: 'deploy on tuesdays',
          type: 'procedural',
          importance: 0.9,
          tags: ['ops', 'deploy'],
          embedding: V08,
          scope: { team: 't', agent: 'a', session: 's', user: 'u' },
          evergreen: true,
        });
        expect(e).toMatchObject({
          id: 'x1',
          type: 'procedural',
          importance: 0.9,
          tags: ['ops', 'deploy'],
          scope: { team: 't', agent: 'a', session: 's', user: 'u' },
          evergreen: true,
        });
        expect(Array.from(e.embedding!)).toEqual(Array.from(V08));
        expect(await m.get('x1')).toEqual(e);
      });

      it('get of an unknown id is undefined', async () => {
        expect(await make().get('nope')).toBeUndefined();
      });

      it('returned entries are copies', async () => {
        const m = make({ dimensions: 4 });
        const e = await m.add({ id: 'c', content: 'copy me', tags: ['a'], embedding: V1 });
        (e.tags as string[]).push('b');
        e.embedding![0] = 42;
        const again = await m.get('c');
        expect(again?.tags).toEqual(['a']);
        expect(again?.embedding?.[0]).toBe(1);
      });

      it('a duplicate id is refused and changes nothing', async () => {
        const m = make();
        await m.add({ id: 'dup', content: 'first' });
        await rejectsWith(
          m.add({ id: 'dup', content: 'second' }),
          'ERR_INVALID_ARGUMENT',
          'entry.id',
        );
        expect((await m.get('dup'))?.content).toBe('first');
        expect(await m.count()).toBe(1);
      });

      it.each([
        [{ content: '' }, 'entry.content'],
        [{ content: 'x', importance: 1.5 }, 'entry.importance'],
        [{ content: 'x', importance: -0.1 }, 'entry.importance'],
        [{ content: 'x', type: 'dream' }, 'entry.type'],
        [{ content: 'x', tags: ['ok', 3] }, 'entry.tags.1'],
        [{ content: 'x', scope: { team: '' } }, 'entry.scope.team'],
        [{ content: 'x', scope: { planet: 'mars' } }, 'entry.scope'],
        [{ content: 'x', embedding: [1, 0, 0, 0] }, 'entry.embedding'],
        [{ content: 'x', evergreen: 'yes' }, 'entry.evergreen'],
      ])('add refuses %j naming %s', async (input, field) => {
        const m = make();
        await rejectsWith(m.add(input as never), 'ERR_INVALID_ARGUMENT', field);
        expect(await m.count()).toBe(0);
      });

      it('an embedding of the wrong length is refused', async () => {
        const m = make({ dimensions: 4 });
        await rejectsWith(
          m.add({ content: 'x', embedding: new Float32Array(3).fill(1) }),
          'ERR_INVALID_ARGUMENT',
          'entry.embedding',
        );
        expect(await m.count()).toBe(0);
      });

      it('an all-zero or non-finite embedding is refused', async () => {
        const m = make({ dimensions: 4 });
        await rejectsWith(
          m.add({ content: 'x', embedding: new Float32Array(4) }),
          'ERR_INVALID_ARGUMENT',
        );
        await rejectsWith(
          m.add({ content: 'x', embedding: new Float32Array([1, Number.NaN, 0, 0]) }),
          'ERR_INVALID_ARGUMENT',
        );
        expect(await m.count()).toBe(0);
      });

      it('the first stored embedding fixes the length', async () => {
        const m = make();
        await m.add({ content: 'a', embedding: V1 });
        await rejectsWith(
          m.add({ content: 'b', embedding: new Float32Array([1, 2]) }),
          'ERR_INVALID_ARGUMENT',
          'entry.embedding',
        );
      });

      it('update changes only the given fields', async () => {
        const m = make();
        const e = await m.add({ id: 'u', content: 'old text', tags: ['a'], importance: 0.2 });
        const updated = await m.update('u', {
          importance: 0.7,
          tags: ['b'],
          type: 'episodic',
          evergreen: true,
        });
        expect(updated).toEqual({
          ...e,
          importance: 0.7,
          tags: ['b'],
          type: 'episodic',
          evergreen: true,
        });
        expect(await m.get('u')).toEqual(updated);
      });

      it('update of an unknown id is undefined', async () => {
        expect(await make().update('ghost', { importance: 1 })).toBeUndefined();
      });

      it('update refuses bad input naming the field and changes nothing', async () => {
        const m = make();
        await m.add({ id: 'u', content: 'text', importance: 0.2 });
        await rejectsWith(
          m.update('u', { importance: 2 }),
          'ERR_INVALID_ARGUMENT',
          'patch.importance',
        );
        expect((await m.get('u'))?.importance).toBe(0.2);
      });

      it('update of the content re-indexes its keywords', async () => {
        const m = make();
        await m.add({ id: 'u', content: 'apples are red' });
        await m.update('u', { content: 'bananas are yellow' });
        expect(await m.search({ text: 'apples' })).toEqual([]);
        expect((await m.search({ text: 'bananas' })).map((r) => r.entry.id)).toEqual(['u']);
      });

      it('update of the scope moves the entry between scopes', async () => {
        const m = make();
        await m.add({ id: 'u', content: 'shared fact', scope: { team: 'a' } });
        await m.update('u', { scope: { team: 'b' } });
        expect(await m.search({ text: 'fact', scope: { team: 'a' } })).toEqual([]);
        expect(
          (await m.search({ text: 'fact', scope: { team: 'b' } })).map((r) => r.entry.id),
        ).toEqual(['u']);
      });

      it('update of the type moves the entry between type filters', async () => {
        const m = make();
        await m.add({ id: 'u', content: 'incident review', type: 'episodic' });
        await m.update('u', { type: 'procedural' });
        expect(await m.search({ text: 'incident', types: ['episodic'] })).toEqual([]);
        expect(
          (await m.search({ text: 'incident', types: ['procedural'] })).map((r) => r.entry.id),
        ).toEqual(['u']);
      });

      it('update with embedding null removes the vector', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'u', content: 'vector', embedding: V1 });
        const updated = await m.update('u', { embedding: null });
        expect(updated?.embedding).toBeUndefined();
        expect(await m.search({ embedding: Q })).toEqual([]);
      });

      it('update can give the first vector to a store that had none', async () => {
        const m = make();
        await m.add({ id: 'u', content: 'plain' });
        await m.update('u', { embedding: V08 });
        expect((await m.search({ embedding: Q })).map((r) => r.entry.id)).toEqual(['u']);
        await rejectsWith(
          m.add({ content: 'x', embedding: new Float32Array([1, 0]) }),
          'ERR_INVALID_ARGUMENT',
          'entry.embedding',
        );
      });

      it('a refused add does not fix the vector length', async () => {
        const m = make();
        await m.add({ id: 'dup', content: 'x' });
        await rejectsWith(
          m.add({ id: 'dup', content: 'y', embedding: new Float32Array([1, 0]) }),
          'ERR_INVALID_ARGUMENT',
          'entry.id',
        );
        expect((await m.add({ content: 'z', embedding: V1 })).embedding?.length).toBe(4);
      });

      it('update with a new embedding changes vector ranking', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'a', content: 'a', embedding: V06 });
        await m.add({ id: 'b', content: 'b', embedding: V08 });
        await m.update('a', { embedding: V1 });
        expect((await m.search({ embedding: Q })).map((r) => r.entry.id)).toEqual(['a', 'b']);
      });

      it('delete removes the entry once; forget is the same', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'to forget' });
        await m.add({ id: 'b', content: 'also to forget' });
        expect(await m.delete('a')).toBe(true);
        expect(await m.delete('a')).toBe(false);
        expect(await m.forget('b')).toBe(true);
        expect(await m.forget('b')).toBe(false);
        expect(await m.get('a')).toBeUndefined();
        expect(await m.search({ text: 'forget' })).toEqual([]);
        expect(await m.count()).toBe(0);
      });

      it('a deleted vector never comes back in vector search', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'a', content: 'a', embedding: V1 });
        await m.add({ id: 'b', content: 'b', embedding: V08 });
        await m.delete('a');
        await m.add({ id: 'c', content: 'c', embedding: V06 });
        expect((await m.search({ embedding: Q })).map((r) => r.entry.id)).toEqual(['b', 'c']);
      });
    });

    describe('list and count', () => {
      it('list returns entries oldest first, filtered by scope and type, up to limit', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'one', scope: { team: 't' } });
        await clock.advance(10);
        await m.add({ id: 'b', content: 'two', scope: { team: 't' }, type: 'episodic' });
        await clock.advance(10);
        await m.add({ id: 'c', content: 'three', scope: { team: 'other' } });
        await clock.advance(10);
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

    describe('search', () => {
      it('keyword ranking puts the entry with more matching terms first', async () => {
        const m = make();
        await m.add({ id: 'one', content: 'the cat sat on the mat' });
        await m.add({ id: 'both', content: 'the black cat chased the black dog' });
        await m.add({ id: 'none', content: 'a bird in the sky' });
        const hits = await m.search({ text: 'black cat' });
        expect(hits.map((h) => h.entry.id)).toEqual(['both', 'one']);
        expect(hits.map((h) => h.keywordRank)).toEqual([1, 2]);
      });

      it('keywords match case-insensitively and ignore punctuation', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'Deploys happen on TUESDAYS.' });
        expect((await m.search({ text: 'tuesdays?' })).map((h) => h.entry.id)).toEqual(['a']);
      });

      it('query text with quotes and operators is plain text', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'near or and not' });
        const hits = await m.search({ text: '"NEAR(" OR * AND -not' });
        expect(hits.map((h) => h.entry.id)).toEqual(['a']);
      });

      it('vector ranking follows cosine similarity', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'far', content: 'far', embedding: V06 });
        await m.add({ id: 'same', content: 'same', embedding: V1 });
        await m.add({ id: 'near', content: 'near', embedding: V08 });
        await m.add({ id: 'orthogonal', content: 'orthogonal', embedding: V0 });
        const hits = await m.search({ embedding: Q });
        expect(hits.map((h) => h.entry.id)).toEqual(['same', 'near', 'far']);
        expect(hits.map((h) => h.vectorRank)).toEqual([1, 2, 3]);
      });

      it('minSimilarity drops weak vector matches', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'near', content: 'near', embedding: V08 });
        await m.add({ id: 'far', content: 'far', embedding: V06 });
        expect(
          (await m.search({ embedding: Q, minSimilarity: 0.7 })).map((h) => h.entry.id),
        ).toEqual(['near']);
      });

      it('an entry on both lists outranks entries on one', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'keyword', content: 'rollback procedure', embedding: V0 });
        await m.add({ id: 'vector', content: 'unrelated words', embedding: V1 });
        await m.add({ id: 'both', content: 'rollback steps', embedding: V08 });
        const hits = await m.search({ text: 'rollback', embedding: Q });
        expect(hits[0]?.entry.id).toBe('both');
        expect(hits[0]?.keywordRank).toBeDefined();
        expect(hits[0]?.vectorRank).toBeDefined();
        expect(hits.map((h) => h.entry.id).sort()).toEqual(['both', 'keyword', 'vector']);
      });

      it('scope filters admit only entries whose named fields all match', async () => {
        const m = make();
        await m.add({ id: 'ta', content: 'note', scope: { team: 't', agent: 'a' } });
        await m.add({ id: 'tb', content: 'note', scope: { team: 't', agent: 'b' } });
        await m.add({ id: 'ua', content: 'note', scope: { team: 'u', agent: 'a' } });
        await m.add({ id: 'none', content: 'note' });
        const ids = async (scope: object): Promise<string[]> =>
          (await m.search({ text: 'note', scope })).map((h) => h.entry.id).sort();
        expect(await ids({ team: 't' })).toEqual(['ta', 'tb']);
        expect(await ids({ agent: 'a' })).toEqual(['ta', 'ua']);
        expect(await ids({ team: 't', agent: 'a' })).toEqual(['ta']);
        expect(await ids({ team: 't', agent: 'c' })).toEqual([]);
        expect(await ids({})).toEqual(['none', 'ta', 'tb', 'ua']);
      });

      it('scope values with punctuation, spaces and non-ASCII match exactly', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'note', scope: { team: 'équipe "rouge"' } });
        await m.add({ id: 'b', content: 'note', scope: { team: 'équipe rouge' } });
        await m.add({ id: 'c', content: 'note', scope: { team: 'team-3' } });
        await m.add({ id: 'd', content: 'note', scope: { team: 'team 3' } });
        const ids = async (team: string): Promise<string[]> =>
          (await m.search({ text: 'note', scope: { team } })).map((h) => h.entry.id);
        expect(await ids('équipe "rouge"')).toEqual(['a']);
        expect(await ids('équipe rouge')).toEqual(['b']);
        expect(await ids('team-3')).toEqual(['c']);
        expect(await ids('team')).toEqual([]);
      });

      it('scope filters apply to vector search too', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ id: 'mine', content: 'x', embedding: V06, scope: { user: 'me' } });
        await m.add({ id: 'theirs', content: 'y', embedding: V1, scope: { user: 'them' } });
        expect(
          (await m.search({ embedding: Q, scope: { user: 'me' } })).map((h) => h.entry.id),
        ).toEqual(['mine']);
      });

      it('type filters admit only the listed types', async () => {
        const m = make();
        await m.add({ id: 's', content: 'deploy fact', type: 'semantic' });
        await m.add({ id: 'e', content: 'deploy happened', type: 'episodic' });
        await m.add({ id: 'p', content: 'deploy how-to', type: 'procedural' });
        const ids = async (types: ('semantic' | 'episodic' | 'procedural')[]): Promise<string[]> =>
          (await m.search({ text: 'deploy', types })).map((h) => h.entry.id).sort();
        expect(await ids(['episodic'])).toEqual(['e']);
        expect(await ids(['semantic', 'procedural'])).toEqual(['p', 's']);
        expect(await ids([])).toEqual([]);
      });

      it('limit caps the results, best first', async () => {
        const m = make();
        for (let i = 0; i < 5; i++)
          await m.add({ id: `n${i}`, content: 'same words', importance: i / 10 });
        const hits = await m.search({ text: 'words', limit: 2 });
        expect(hits.map((h) => h.entry.id)).toEqual(['n4', 'n3']);
        expect(await m.search({ text: 'words', limit: 0 })).toEqual([]);
      });

      it('minScore drops results below it', async () => {
        const m = make({ weights: { relevance: 0, importance: 1, recency: 0 } });
        await m.add({ id: 'low', content: 'topic', importance: 0.2 });
        await m.add({ id: 'high', content: 'topic', importance: 0.8 });
        expect((await m.search({ text: 'topic', minScore: 0.5 })).map((h) => h.entry.id)).toEqual([
          'high',
        ]);
        expect(await m.search({ text: 'topic', minScore: 0.9 })).toEqual([]);
      });

      it('without text or embedding, entries rank by importance and recency', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'a', importance: 0.1, scope: { team: 't' } });
        await m.add({ id: 'b', content: 'b', importance: 0.9, scope: { team: 't' } });
        await m.add({ id: 'c', content: 'c', importance: 1, scope: { team: 'other' } });
        const hits = await m.search({ scope: { team: 't' } });
        expect(hits.map((h) => h.entry.id)).toEqual(['b', 'a']);
        expect(hits.every((h) => h.relevance === 0)).toBe(true);
      });

      it('text without letters or digits matches nothing', async () => {
        const m = make();
        await m.add({ content: 'something' });
        expect(await m.search({ text: '?!' })).toEqual([]);
      });

      it('search updates access times and counts of returned entries only', async () => {
        const m = make();
        await m.add({ id: 'hit', content: 'findable' });
        await m.add({ id: 'miss', content: 'other' });
        await clock.advance(DAY);
        const [hit] = await m.search({ text: 'findable' });
        expect(hit?.entry).toMatchObject({ accessedAt: 1_000 + DAY, accessCount: 1 });
        expect(await m.get('hit')).toMatchObject({ accessedAt: 1_000 + DAY, accessCount: 1 });
        expect(await m.get('miss')).toMatchObject({ accessedAt: 1_000, accessCount: 0 });
      });

      it('peek searches leave access times alone', async () => {
        const m = make();
        await m.add({ id: 'hit', content: 'findable' });
        await clock.advance(DAY);
        await m.search({ text: 'findable', peek: true });
        expect(await m.get('hit')).toMatchObject({ accessedAt: 1_000, accessCount: 0 });
      });

      it('older memories decay below fresh ones; evergreen ones do not', async () => {
        const m = make({ halfLifeMs: DAY });
        await m.add({ id: 'old', content: 'status report' });
        await m.add({ id: 'pinned', content: 'status report', evergreen: true });
        await clock.advance(2 * DAY);
        await m.add({ id: 'new', content: 'status report' });
        const hits = await m.search({ text: 'status' });
        const byId = new Map(hits.map((h) => [h.entry.id, h]));
        expect(byId.get('old')?.recency).toBeCloseTo(0.25, 12);
        expect(byId.get('new')?.recency).toBe(1);
        expect(byId.get('pinned')?.recency).toBe(1);
        expect(hits.at(-1)?.entry.id).toBe('old');
      });

      it('composite scores match the hand-computed formula', async () => {
        // Weights 0.5/0.3/0.2 (sum 1), k = 60, half-life 1 day, vector-only query.
        // 'a': rank 1 → rrf 1/61 → relevance 1; importance 0.4; accessed 1 day ago → recency 0.5.
        //   score = 0.5·1 + 0.3·0.4 + 0.2·0.5 = 0.72
        // 'b': rank 2 → rrf 1/62 → relevance 61/62; importance 1; fresh → recency 1.
        //   score = 0.5·61/62 + 0.3 + 0.2 = 0.991935…
        const m = make({
          dimensions: 4,
          halfLifeMs: DAY,
          weights: { relevance: 0.5, importance: 0.3, recency: 0.2 },
        });
        await m.add({ id: 'a', content: 'a', embedding: V1, importance: 0.4 });
        await clock.advance(DAY);
        await m.add({ id: 'b', content: 'b', embedding: V08, importance: 1 });
        const hits = await m.search({ embedding: Q });
        expect(hits.map((h) => h.entry.id)).toEqual(['b', 'a']);
        expect(hits[1]?.relevance).toBe(1);
        expect(hits[1]?.recency).toBeCloseTo(0.5, 12);
        expect(hits[1]?.score).toBeCloseTo(0.72, 12);
        expect(hits[0]?.relevance).toBeCloseTo(61 / 62, 12);
        expect(hits[0]?.score).toBeCloseTo(0.5 * (61 / 62) + 0.3 + 0.2, 12);
      });

      it('fused relevance uses reciprocal rank fusion over both lists', async () => {
        // keyword list: k1 (rank 1); vector list: v1 (rank 1), k1 (rank 2).
        // rrf(k1) = 1/61 + 1/62, rrf(v1) = 1/61 → relevance(v1) = (1/61) / (1/61 + 1/62).
        const m = make({ dimensions: 4, weights: { relevance: 1, importance: 0, recency: 0 } });
        await m.add({ id: 'k1', content: 'keyword hit', embedding: V08 });
        await m.add({ id: 'v1', content: 'nothing', embedding: V1 });
        const hits = await m.search({ text: 'keyword', embedding: Q });
        expect(hits.map((h) => h.entry.id)).toEqual(['k1', 'v1']);
        expect(hits[0]?.score).toBe(1);
        expect(hits[1]?.score).toBeCloseTo(1 / 61 / (1 / 61 + 1 / 62), 12);
      });

      it('per-query weights and half-life override the store defaults', async () => {
        const m = make({ halfLifeMs: DAY });
        await m.add({ id: 'a', content: 'topic', importance: 0 });
        await clock.advance(DAY);
        const [hit] = await m.search({
          text: 'topic',
          halfLifeMs: 2 * DAY,
          weights: { relevance: 0, importance: 0, recency: 1 },
        });
        expect(hit?.score).toBeCloseTo(2 ** -0.5, 12);
      });

      it.each([
        [{ limit: -1 }, 'query.limit'],
        [{ minScore: 2 }, 'query.minScore'],
        [{ types: ['dream'] }, 'query.types.0'],
        [{ weights: { relevance: -1 } }, 'query.weights.relevance'],
        [{ weights: { relevance: 0, importance: 0, recency: 0 } }, 'query.weights'],
        [{ halfLifeMs: 0 }, 'query.halfLifeMs'],
        [{ scope: { team: 5 } }, 'query.scope.team'],
      ])('search refuses %j naming %s', async (query, field) => {
        await rejectsWith(make().search(query as never), 'ERR_INVALID_ARGUMENT', field);
      });

      it('a query embedding of the wrong length is refused', async () => {
        const m = make({ dimensions: 4 });
        await m.add({ content: 'x', embedding: V1 });
        await rejectsWith(
          m.search({ embedding: new Float32Array([1, 0]) }),
          'ERR_INVALID_ARGUMENT',
          'query.embedding',
        );
      });
    });

    describe('options and lifecycle', () => {
      it.each([
        [{ halfLifeMs: -1 }, 'halfLifeMs'],
        [{ weights: { recency: -1 } }, 'weights.recency'],
        [{ dimensions: 0 }, 'dimensions'],
        [{ candidateDepth: 0 }, 'candidateDepth'],
        [{ clock: {} }, 'clock'],
      ])('construction refuses %j naming %s', (options, field) => {
        let error: unknown;
        try {
          create({ clock: new SimulatedClock(), ...(options as object) } as MemoryStoreOptions);
        } catch (e) {
          error = e;
        }
        expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
        expect(String((error as { details?: { field?: string } }).details?.field)).toMatch(
          new RegExp(`${field}$`),
        );
      });

      it('a closed store rejects every call with ERR_CLOSED; close is idempotent', async () => {
        const m = make();
        await m.add({ id: 'a', content: 'x' });
        await m.close();
        await m.close();
        await rejectsWith(m.add({ content: 'y' }), 'ERR_CLOSED');
        await rejectsWith(m.get('a'), 'ERR_CLOSED');
        await rejectsWith(m.search({ text: 'x' }), 'ERR_CLOSED');
        await rejectsWith(m.list(), 'ERR_CLOSED');
        await rejectsWith(m.delete('a'), 'ERR_CLOSED');
      });

      it('an embedder embeds contents and query text', async () => {
        const embedder = {
          dimensions: 4,
          async embed(texts: readonly string[]) {
            return texts.map((t) =>
              t.includes('sun') ? new Float32Array(V1) : new Float32Array(V0),
            );
          },
        };
        const m = make({ embedder });
        const e = await m.add({ id: 's', content: 'the sun rises' });
        await m.add({ id: 'o', content: 'other' });
        expect(Array.from(e.embedding!)).toEqual(Array.from(V1));
        const hits = await m.search({ text: 'sunny morning' });
        expect(hits.map((h) => h.entry.id)).toEqual(['s']);
        expect(hits[0]?.vectorRank).toBe(1);
        expect(hits[0]?.keywordRank).toBeUndefined();
      });
    });
  });
}
