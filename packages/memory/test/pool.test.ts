import { fileURLToPath } from 'node:url';
import { createRng, isTroupeError, SimulatedClock } from '@troupe/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHashEmbedder,
  createInMemoryStore,
  createSqliteStore,
  createVectorPool,
  type MemoryStore,
  type MemoryStoreOptions,
  type SearchResult,
  type VectorPool,
} from '../src/index.js';

// Pool workers run plain JS: the compiled worker from `npx tsc -p packages/memory/tsconfig.build.json`.
const WORKER = fileURLToPath(new URL('../dist/internal/vector-worker.js', import.meta.url));
const WORDS =
  'alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega deploy build test ship'.split(
    ' ',
  );

function sentence(rng: ReturnType<typeof createRng>): string {
  return Array.from({ length: 6 }, () => WORDS[rng.int(0, WORDS.length - 1)]).join(' ');
}

/** The error `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** One candidate row of 4 dimensions, equal to the query. */
function tinyRequest() {
  const matrix = new SharedArrayBuffer(16);
  new Float32Array(matrix).set([1, 0, 0, 0]);
  const norms = new SharedArrayBuffer(8);
  new Float64Array(norms)[0] = 1;
  const query = Float32Array.of(1, 0, 0, 0);
  return { matrix, norms, dims: 4, query, queryNorm: 1, slots: Int32Array.of(0), k: 1 };
}

const summary = (hits: SearchResult[]) =>
  hits.map((h) => [h.entry.id, h.score, h.vectorRank, h.keywordRank]);

describe('vector pool', () => {
  let pool: VectorPool;
  beforeAll(() => {
    pool = createVectorPool({ threads: 2, workerFile: WORKER });
  });
  afterAll(async () => {
    await pool.close();
  });

  async function fill(
    make: (options: MemoryStoreOptions) => MemoryStore,
    withPool: boolean,
  ): Promise<MemoryStore> {
    const rng = createRng(7);
    const store = make({
      clock: new SimulatedClock(),
      embedder: createHashEmbedder({ dimensions: 64 }),
      idSeed: 1,
      candidateDepth: 50,
      ...(withPool ? { pool, poolMinCandidates: 1 } : {}),
    });
    for (let i = 0; i < 1_500; i++) {
      await store.add({
        content: sentence(rng),
        scope: { team: `t${i % 3}` },
        importance: rng.next(),
      });
    }
    return store;
  }

  it.each([
    ['in-memory', createInMemoryStore],
    ['sqlite', createSqliteStore],
  ] as const)('%s: pool search equals single-thread search', async (_, make) => {
    const single = await fill(make, false);
    const pooled = await fill(make, true);
    const queries = [
      { text: 'deploy gamma ship', peek: true, limit: 20 },
      { text: 'omega', scope: { team: 't1' }, peek: true, limit: 20 },
      {
        embedding: (await createHashEmbedder({ dimensions: 64 }).embed(['kappa sigma']))[0]!,
        peek: true,
        limit: 50,
      },
    ];
    for (const query of queries) {
      const a = await single.search(query);
      const b = await pooled.search(query);
      expect(a.length).toBeGreaterThan(0);
      expect(summary(b)).toEqual(summary(a));
    }
    await single.close();
    await pooled.close();
  });

  it('topK over a request equals the in-thread ranking, ties to the earlier candidate', async () => {
    const dims = 8;
    const rows = 1_000;
    const matrix = new SharedArrayBuffer(rows * dims * 4);
    const norms = new SharedArrayBuffer(rows * 8);
    const m = new Float32Array(matrix);
    const n = new Float64Array(norms);
    const rng = createRng(3);
    for (let r = 0; r < rows; r++) {
      // Every tenth row repeats row 0, so ties exist and must resolve the same way.
      for (let d = 0; d < dims; d++)
        m[r * dims + d] = r > 0 && r % 10 === 0 ? m[d]! : rng.next() - 0.5;
      let s = 0;
      for (let d = 0; d < dims; d++) s += m[r * dims + d]! ** 2;
      n[r] = Math.sqrt(s);
    }
    const query = new Float32Array(m.subarray(0, dims));
    let qs = 0;
    for (const v of query) qs += v * v;
    const slots = Int32Array.from({ length: rows }, (_, i) => rows - 1 - i);
    const top = await pool.topK({
      matrix,
      norms,
      dims,
      query,
      queryNorm: Math.sqrt(qs),
      slots,
      k: 12,
    });
    // Rows 990, 980, …, 0 are identical to the query; in `slots` order 990 comes first.
    expect(Array.from(top.indices.slice(0, 10), (i) => slots[i])).toEqual([
      990, 980, 970, 960, 950, 940, 930, 920, 910, 900,
    ]);
    const naive = Array.from(slots, (slot, i) => {
      let d = 0;
      for (let j = 0; j < dims; j++) d += query[j]! * m[slot * dims + j]!;
      return { i, cos: d / (Math.sqrt(qs) * n[slot]!) };
    }).sort((a, b) => b.cos - a.cos || a.i - b.i);
    expect(Array.from(top.indices)).toEqual(naive.slice(0, 12).map((x) => x.i));
  });

  it('a closed handle rejects with ERR_CLOSED, close is idempotent, other handles go on', async () => {
    const own = createVectorPool({ workerFile: WORKER });
    expect(own.threads).toBe(2);
    await own.close();
    await own.close();
    const error = await own.topK(tinyRequest()).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_CLOSED')).toBe(true);
    expect(Array.from((await pool.topK(tinyRequest())).indices)).toEqual([0]);
  });

  it('refuses another size or worker while the pool is live, naming it and the live one', () => {
    const size = thrown(() => createVectorPool({ threads: 1, workerFile: WORKER }));
    expect(isTroupeError(size, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((size as Error).message).toMatch(
      /^createVectorPool options\.threads is 1, but the live vector pool's size is 2/,
    );
    const worker = thrown(() => createVectorPool({ workerFile: `${WORKER}.other.js` }));
    expect(isTroupeError(worker, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((worker as Error).message).toMatch(/options\.workerFile differs/);
  });

  it('refuses bad options naming them', () => {
    expect(() => createVectorPool({ threads: 0 })).toThrow(/threads/);
    expect(() => createVectorPool({ thread: 2 } as never)).toThrow(/options\.thread is not/);
  });
});

describe('the process vector pool', () => {
  it('is shared by every handle, and takes a new size once every handle has closed', async () => {
    const first = createVectorPool({ threads: 1, workerFile: WORKER });
    const second = createVectorPool({ workerFile: WORKER });
    expect([first.threads, second.threads]).toEqual([1, 1]);
    await first.close();
    // The pool lives on for the handle still open, with its size.
    expect(Array.from((await second.topK(tinyRequest())).indices)).toEqual([0]);
    expect(() => createVectorPool({ threads: 3, workerFile: WORKER })).toThrow(/size is 1/);
    await second.close();
    const resized = createVectorPool({ threads: 3, workerFile: WORKER });
    expect(resized.threads).toBe(3);
    expect(Array.from((await resized.topK(tinyRequest())).indices)).toEqual([0]);
    await resized.close();
  });
});
