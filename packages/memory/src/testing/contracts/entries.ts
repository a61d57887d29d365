import { describe, expect, it } from 'vitest';
import type { ContractContext } from './fixtures.js';
import { Q, rejectsWith, V1, V06, V08 } from './fixtures.js';

/** Entries: add, get, update, delete and their validation. */
export function entriesContract(ctx: ContractContext): void {
  const { make } = ctx;
  describe('entries', () => {
    it('add fills defaults and times from the clock', async () => {
      const m = make();
      await ctx.clock.advance(500);
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
}
