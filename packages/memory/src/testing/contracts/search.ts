import { describe, expect, it } from 'vitest';
import type { ContractContext } from './fixtures.js';
import { DAY, Q, rejectsWith, V0, V1, V06, V08 } from './fixtures.js';

/** Search: keyword and vector ranking, fusion, scopes, types, limits, decay, hand-computed scores. */
export function searchContract(ctx: ContractContext): void {
  const { make } = ctx;
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
      expect((await m.search({ embedding: Q, minSimilarity: 0.7 })).map((h) => h.entry.id)).toEqual(
        ['near'],
      );
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
      await ctx.clock.advance(DAY);
      const [hit] = await m.search({ text: 'findable' });
      expect(hit?.entry).toMatchObject({ accessedAt: 1_000 + DAY, accessCount: 1 });
      expect(await m.get('hit')).toMatchObject({ accessedAt: 1_000 + DAY, accessCount: 1 });
      expect(await m.get('miss')).toMatchObject({ accessedAt: 1_000, accessCount: 0 });
    });

    it('peek searches leave access times alone', async () => {
      const m = make();
      await m.add({ id: 'hit', content: 'findable' });
      await ctx.clock.advance(DAY);
      await m.search({ text: 'findable', peek: true });
      expect(await m.get('hit')).toMatchObject({ accessedAt: 1_000, accessCount: 0 });
    });

    it('older memories decay below fresh ones; evergreen ones do not', async () => {
      const m = make({ halfLifeMs: DAY });
      await m.add({ id: 'old', content: 'status report' });
      await m.add({ id: 'pinned', content: 'status report', evergreen: true });
      await ctx.clock.advance(2 * DAY);
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
      await ctx.clock.advance(DAY);
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
      await ctx.clock.advance(DAY);
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
}
