/**
 * Memory search hot paths, measured in one run:
 * 1. Scoped search: 10,000 entries over 10 teams (each team holds 10%), hybrid query (keywords +
 *    384-dim hash embeddings). Scoped search walks the team's index only; the baseline is the
 *    same search unscoped (a scan of the whole store). Goal: scoped >= 5x faster. SQLite figures
 *    are printed too.
 * 2. Cosine over 2,000 x 768: norms computed per pair (floor of naivety), query norm hoisted,
 *    stored row norms (what the stores do). All three share the same unrolled dot kernel.
 *    Goal: stored norms >= 1.5x faster than per pair.
 * 3. 10,000 x 768 vector search through a store: 2 piscina threads over the SharedArrayBuffer
 *    matrix against the same scan in this thread. Goal: >= 1.5x.
 * Ratios compare medians (p50), each task's best of 5 interleaved rounds (see `bestOf`).
 */
import { Worker } from 'node:worker_threads';
import { createRng, SimulatedClock } from '@troupe/core';
import {
  createHashEmbedder,
  createInMemoryStore,
  createSqliteStore,
  createVectorPool,
  dot,
  type MemoryStore,
} from '@troupe/memory';
import { figure, heading, type Measured, measure, ratio, table } from './lib/harness.js';

/**
 * This machine is shared with other work whose bursts can triple a median. Each task is measured
 * in several short rounds, interleaved with the others, and keeps its best round's median: the
 * figure closest to the code's own cost, taken for every contestant alike.
 */
const ROUNDS = 5;

async function bestOf(tasks: Record<string, () => unknown>): Promise<Record<string, Measured>> {
  const best: Record<string, Measured> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const r = await measure(tasks, { timeMs: 300, warmupMs: 50 });
    for (const [name, m] of Object.entries(r)) {
      const prev = best[name];
      if (prev === undefined || m.p50Us < prev.p50Us) best[name] = m;
    }
  }
  return best;
}

const WORDS = (
  'deploy build test ship rollback cache queue worker shard index search vector token budget ' +
  'agent team claim lease bus wait retry timeout limit window memory recall plan review merge ' +
  'branch commit release staging production latency error alert pager metric trace span log'
).split(' ');

function sentence(rng: ReturnType<typeof createRng>, words = 12): string {
  return Array.from({ length: words }, () => WORDS[rng.int(0, WORDS.length - 1)]).join(' ');
}

async function scopedSearch(): Promise<void> {
  heading('scoped search: 10,000 entries, scope = 10% (one team of ten)');
  const rng = createRng(11);
  const texts = Array.from({ length: 10_000 }, () => sentence(rng));
  const embedder = createHashEmbedder({ dimensions: 384 });
  const vectors = await embedder.embed(texts);
  const fill = async (store: MemoryStore): Promise<MemoryStore> => {
    for (let i = 0; i < texts.length; i++) {
      await store.add({
        content: texts[i]!,
        embedding: vectors[i]!,
        scope: { team: `team-${i % 10}` },
      });
    }
    return store;
  };
  const clock = new SimulatedClock();
  const memory = await fill(createInMemoryStore({ clock, embedder }));
  const sqlite = await fill(createSqliteStore({ clock, embedder }));
  const query = { text: 'rollback staging latency alert', limit: 10, peek: true } as const;
  const scoped = { ...query, scope: { team: 'team-3' } };
  const r = await bestOf({
    'memory: scoped (1,000 of 10,000)': () => memory.search(scoped),
    'memory: unscoped scan (10,000)': () => memory.search(query),
    'sqlite: scoped (1,000 of 10,000)': () => sqlite.search(scoped),
    'sqlite: unscoped scan (10,000)': () => sqlite.search(query),
  });
  table(Object.values(r));
  ratio(
    'memory scoped search vs unscoped scan (10% scope)',
    r['memory: unscoped scan (10,000)']!.p50Us / r['memory: scoped (1,000 of 10,000)']!.p50Us,
    { min: 5 },
  );
  ratio(
    'sqlite scoped search vs unscoped scan (10% scope)',
    r['sqlite: unscoped scan (10,000)']!.p50Us / r['sqlite: scoped (1,000 of 10,000)']!.p50Us,
  );
  await memory.close();
  await sqlite.close();
}

/** Sum of squares of a matrix row, with the same four accumulators as `dot`. */
function rowNormSq(m: Float32Array, off: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    const a = m[off + i]!;
    const b = m[off + i + 1]!;
    const c = m[off + i + 2]!;
    const d = m[off + i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < dims; i++) s0 += m[off + i]! * m[off + i]!;
  return s0 + s1 + (s2 + s3);
}

async function cosineKernels(): Promise<void> {
  heading('cosine over 2,000 x 768: where the norms come from');
  const rows = 2_000;
  const dims = 768;
  const rng = createRng(5);
  const matrix = Float32Array.from({ length: rows * dims }, () => rng.next() - 0.5);
  const norms = Float64Array.from({ length: rows }, (_, r) =>
    Math.sqrt(rowNormSq(matrix, r * dims, dims)),
  );
  const query = Float32Array.from({ length: dims }, () => rng.next() - 0.5);
  let sink = 0;
  const perPair = (): void => {
    let best = -1;
    for (let r = 0; r < rows; r++) {
      const off = r * dims;
      const c =
        dot(query, matrix, off) /
        (Math.sqrt(dot(query, query)) * Math.sqrt(rowNormSq(matrix, off, dims)));
      if (c > best) best = c;
    }
    sink += best;
  };
  const hoisted = (): void => {
    const qn = Math.sqrt(dot(query, query));
    let best = -1;
    for (let r = 0; r < rows; r++) {
      const off = r * dims;
      const c = dot(query, matrix, off) / (qn * Math.sqrt(rowNormSq(matrix, off, dims)));
      if (c > best) best = c;
    }
    sink += best;
  };
  const stored = (): void => {
    const qn = Math.sqrt(dot(query, query));
    let best = -1;
    for (let r = 0; r < rows; r++) {
      const c = dot(query, matrix, r * dims) / (qn * norms[r]!);
      if (c > best) best = c;
    }
    sink += best;
  };
  const r = await bestOf({
    'norms per pair (query + row each time)': perPair,
    'query norm hoisted, row norm per pair': hoisted,
    'stored row norms, dot product only': stored,
  });
  table(Object.values(r));
  figure('checksum', sink.toFixed(3));
  const storedUs = r['stored row norms, dot product only']!.p50Us;
  ratio(
    'cosine stored norms vs norms per pair (2,000 x 768)',
    r['norms per pair (query + row each time)']!.p50Us / storedUs,
    {
      min: 1.5,
    },
  );
  ratio(
    'cosine stored norms vs query norm hoisted',
    r['query norm hoisted, row norm per pair']!.p50Us / storedUs,
  );
}

const SCAN_ROWS = 10_000;
const SCAN_DIMS = 768;

/** A store of {@link SCAN_ROWS} random embeddings (the same ones for the same seed). */
async function scanStore(clock: SimulatedClock, pool?: ReturnType<typeof createVectorPool>) {
  const rng = createRng(9);
  const store = createInMemoryStore({
    clock,
    dimensions: SCAN_DIMS,
    ...(pool === undefined ? {} : { pool, poolMinCandidates: 4096 }),
  });
  for (let i = 0; i < SCAN_ROWS; i++) {
    const embedding = Float32Array.from({ length: SCAN_DIMS }, () => rng.next() - 0.5);
    await store.add({ id: `e${i}`, content: `entry ${i}`, embedding });
  }
  return store;
}

/**
 * The process has one vector pool at a time: each size is measured in its own phase, beside the
 * same search on this thread.
 */
async function poolPhase(
  threads: number,
  single: Awaited<ReturnType<typeof scanStore>>,
  query: { embedding: Float32Array; limit: number; peek: boolean },
): Promise<{ thread: Measured; pool: Measured }> {
  const pool = createVectorPool({ threads });
  const pooled = await scanStore(new SimulatedClock(), pool);
  const [a, b] = [await single.search(query), await pooled.search(query)];
  figure(
    `same results from a ${threads}-thread pool and this thread`,
    String(a.map((h) => h.entry.id).join() === b.map((h) => h.entry.id).join()),
  );
  const name = `pool, ${threads} thread${threads === 1 ? '' : 's'}`;
  const r = await bestOf({
    [`this thread (beside ${name})`]: () => single.search(query),
    [name]: () => pooled.search(query),
  });
  table(Object.values(r));
  await pooled.close();
  await pool.close();
  return { thread: r[`this thread (beside ${name})`]!, pool: r[name]! };
}

async function poolScan(): Promise<void> {
  heading(
    `vector search over ${SCAN_ROWS.toLocaleString('en-US')} x ${SCAN_DIMS}: pool vs this thread`,
  );
  const single = await scanStore(new SimulatedClock());
  const rng = createRng(10);
  const query = {
    embedding: Float32Array.from({ length: SCAN_DIMS }, () => rng.next() - 0.5),
    limit: 10,
    peek: true,
  };
  const two = await poolPhase(2, single, query);
  const one = await poolPhase(1, single, query);
  ratio(
    'vector search 10,000 x 768: 2 pool threads vs this thread',
    two.thread.p50Us / two.pool.p50Us,
    {
      min: 1.5,
    },
  );
  ratio(
    'vector search 10,000 x 768: 2 pool threads vs 1 pool thread (informational)',
    one.pool.p50Us / two.pool.p50Us,
  );
  ratio(
    'ceiling now: raw worker_threads, 2 halves vs 1 whole (CPU-bound loop)',
    await rawParallelism(),
  );
  await single.close();
}

/**
 * How much parallelism this machine gives right now: the same CPU-bound loop run whole on one
 * worker, then in halves on two. A pool cannot beat this ratio; when other work holds the cores
 * it drops toward 1 (or below), and the pool's ratio with it.
 */
async function rawParallelism(): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); parentPort.postMessage(s); });`;
  const workers = [new Worker(code, { eval: true }), new Worker(code, { eval: true })] as const;
  const run = (w: Worker, n: number): Promise<unknown> =>
    new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(n);
    });
  await Promise.all(workers.map((w) => run(w, 1e6)));
  const n = 2e7;
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    await run(workers[0], n);
    const one = performance.now() - t;
    t = performance.now();
    await Promise.all([run(workers[0], n / 2), run(workers[1], n / 2)]);
    best = Math.max(best, one / (performance.now() - t));
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return best;
}

export default async function memoryBench(): Promise<void> {
  await scopedSearch();
  await cosineKernels();
  await poolScan();
}
