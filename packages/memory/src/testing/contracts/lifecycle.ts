import { isTroupeError, SimulatedClock } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import type { MemoryStoreOptions } from '../../index.js';
import type { ContractContext } from './fixtures.js';
import { rejectsWith, V0, V1 } from './fixtures.js';

/** Options and lifecycle: construction refusals, close, an embedder. */
export function lifecycleContract(ctx: ContractContext): void {
  const { make } = ctx;
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
        ctx.create({ clock: new SimulatedClock(), ...(options as object) } as MemoryStoreOptions);
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
}
