/**
 * Claim + release on the shared state with 10 / 1,000 / 10,000 live claims, in two layouts:
 * - spread: one live claim per file (agent i holds [0, 9] of file i); the measured operation
 *   claims [10, 19] of a random file and releases it;
 * - hot: every live claim on one file (agent i holds [10i, 10i + 8]); the measured operation
 *   claims the free point 10k + 9 between two of them and releases it.
 * Against the floor, a `Map` set + get + delete on a random key of a Map of the same size, and
 * against a naive store that keeps every claim in one array and scans it all.
 *
 * Operations are timed in batches ({@link BATCH}, or 4 for the naive store), the tasks
 * interleaved round by round, and the median batch reported per operation. The Troupe and naive
 * stores are async (a promise per call, awaited, as callers do); the Map floor is synchronous
 * and reported as is.
 */
import { type ClaimRequest, type ClaimResult, createSharedState, systemClock } from '@troupe/core';
import { heading, type Measured, ratio, table } from './lib/harness.js';

const SIZES = [10, 1_000, 10_000] as const;
const BATCH = 100;
const envTime = Number(process.env.BENCH_TIME_MS);
/** Timed rounds per size (fewer when BENCH_TIME_MS asks for a short run). */
const ROUNDS = Number.isFinite(envTime) && envTime > 0 && envTime < 500 ? 300 : 1_000;
const TTL_MS = 300_000;

/** The baseline: every claim in one array; every claim and release scans it. */
class NaiveClaims {
  #claims: {
    agent: string;
    resource: string;
    start: number;
    end: number;
    expiresAt: number;
    token: number;
  }[] = [];
  #token = 0;

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const now = Date.now();
    const start = req.start ?? 0;
    const end = req.end ?? Number.MAX_SAFE_INTEGER;
    let own = -1;
    for (let i = 0; i < this.#claims.length; i++) {
      const c = this.#claims[i]!;
      if (c.resource !== req.resource || c.expiresAt <= now) continue;
      if (c.agent === req.agent) own = i;
      else if (c.start <= end && start <= c.end) {
        return { ok: false, conflict: { ...c, grantedAt: 0 } };
      }
    }
    const claim = {
      agent: req.agent,
      resource: req.resource,
      start,
      end,
      expiresAt: now + TTL_MS,
      token: ++this.#token,
    };
    if (own >= 0) this.#claims[own] = claim;
    else this.#claims.push(claim);
    return { ok: true, claim: { ...claim, grantedAt: now } };
  }

  async release(agent: string, resource: string): Promise<boolean> {
    const i = this.#claims.findIndex((c) => c.agent === agent && c.resource === resource);
    if (i < 0) return false;
    this.#claims.splice(i, 1);
    return true;
  }
}

/**
 * Not a store: the least any async claim + release can cost (two awaited async calls, two
 * clock reads, a frozen claim object, one Map write and delete). Printed to show how much of
 * the gap to the sync Map floor is the async shape of the interface itself.
 */
function asyncSkeleton(): Store {
  const held = new Map<string, object>();
  return {
    async claim(req) {
      const now = systemClock.now();
      const claim = Object.freeze({
        agent: req.agent,
        resource: req.resource,
        start: req.start ?? 0,
        end: req.end ?? Number.MAX_SAFE_INTEGER,
        token: 1,
        grantedAt: now,
        expiresAt: now + TTL_MS,
      });
      held.set(req.resource, claim);
      return { ok: true, claim };
    },
    async release(_agent, resource) {
      systemClock.now();
      return held.delete(resource);
    },
  };
}

interface Store {
  claim(req: ClaimRequest): Promise<ClaimResult>;
  release(agent: string, resource: string): Promise<boolean>;
}

type Layout = 'spread' | 'hot';

/** The live claims of a layout, and the free request the benchmark makes for slot k. */
function layout(kind: Layout) {
  return kind === 'spread'
    ? {
        live: (i: number): ClaimRequest => ({
          agent: `agent-${i}`,
          resource: `src/file-${i}.ts`,
          start: 0,
          end: 9,
        }),
        probe: (k: number): ClaimRequest => ({
          agent: 'bench',
          resource: `src/file-${k}.ts`,
          start: 10,
          end: 19,
        }),
      }
    : {
        live: (i: number): ClaimRequest => ({
          agent: `agent-${i}`,
          resource: 'src/hot.ts',
          start: i * 10,
          end: i * 10 + 8,
        }),
        probe: (k: number): ClaimRequest => ({
          agent: 'bench',
          resource: 'src/hot.ts',
          start: k * 10 + 9,
          end: k * 10 + 9,
        }),
      };
}

/** Claims `live` ranges (default: `size`) and returns probe requests over `size` slots. */
async function fill(
  store: Store,
  kind: Layout,
  size: number,
  live_ = size,
): Promise<ClaimRequest[]> {
  const { live, probe } = layout(kind);
  for (let i = 0; i < live_; i++) {
    const result = await store.claim({ ...live(i), ttlMs: TTL_MS });
    if (!result.ok) throw new Error(`setup claim ${i} conflicted`);
  }
  // Probe requests built up front, in a shuffled order, so the loop measures only the store.
  const probes: ClaimRequest[] = [];
  for (let j = 0; j < 4_096; j++) probes.push({ ...probe((j * 7_919) % size), ttlMs: TTL_MS });
  return probes;
}

function claimReleaseTask(store: Store, probes: ClaimRequest[]): (ops: number) => Promise<void> {
  let j = 0;
  return async (ops) => {
    for (let n = 0; n < ops; n++) {
      const req = probes[j++ & 4_095]!;
      const result = await store.claim(req);
      if (!result.ok) throw new Error('probe claim conflicted');
      await store.release(req.agent, req.resource);
    }
  };
}

function mapTask(size: number): (ops: number) => void {
  const map = new Map<string, { start: number; end: number }>();
  for (let i = 0; i < size; i++) map.set(`src/file-${i}.ts\u0000agent-${i}`, { start: 0, end: 9 });
  const keys = Array.from(
    { length: 4_096 },
    (_, j) => `src/file-${(j * 7_919) % size}.ts\u0000bench`,
  );
  let j = 0;
  let sink = 0;
  return (ops) => {
    for (let n = 0; n < ops; n++) {
      const key = keys[j++ & 4_095]!;
      map.set(key, { start: 10, end: 19 });
      sink += map.get(key)!.end;
      map.delete(key);
    }
    if (sink < 0) throw new Error('unreachable');
  };
}

interface Task {
  readonly run: (ops: number) => unknown;
  /** Operations per timed batch. */
  readonly batch: number;
}

/**
 * Times every task in interleaved rounds (one batch of each per round) and reports the median
 * batch time per operation. This machine is shared: interleaving makes load hit every task
 * alike, and the median ignores the batches during which the process was descheduled.
 */
async function interleaved(
  tasks: Record<string, Task>,
  rounds: number,
): Promise<Record<string, Measured>> {
  const names = Object.keys(tasks);
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  const warm = Math.max(10, Math.floor(rounds / 5));
  for (let r = 0; r < rounds + warm; r++) {
    for (const name of names) {
      const task = tasks[name]!;
      const t0 = performance.now();
      await task.run(task.batch);
      const perOp = ((performance.now() - t0) * 1_000) / task.batch;
      if (r >= warm) samples.get(name)!.push(perOp);
    }
  }
  const out: Record<string, Measured> = {};
  for (const name of names) {
    const sorted = samples.get(name)!.sort((a, b) => a - b);
    const p50 = sorted[sorted.length >> 1]!;
    out[name] = {
      name,
      meanUs: p50,
      p50Us: p50,
      p99Us: sorted[Math.floor(sorted.length * 0.99)]!,
      opsPerSec: 1e6 / p50,
      samples: sorted.length,
    };
  }
  return out;
}

export default async function claimsBench(): Promise<void> {
  heading(`claim + release, median per operation (interleaved batches of ${BATCH})`);
  for (const size of SIZES) {
    const spread = createSharedState({ clock: systemClock, defaultTtlMs: TTL_MS });
    const hot = createSharedState({ clock: systemClock, defaultTtlMs: TTL_MS });
    const tasks: Record<string, Task> = {
      [`Map set+get+delete (${size})`]: { run: mapTask(size), batch: BATCH },
      [`async skeleton, no store (${size})`]: {
        run: claimReleaseTask(asyncSkeleton(), await fill(asyncSkeleton(), 'spread', size, 0)),
        batch: BATCH,
      },
      [`troupe spread (${size})`]: {
        run: claimReleaseTask(spread, await fill(spread, 'spread', size)),
        batch: BATCH,
      },
      [`troupe hot file (${size})`]: {
        run: claimReleaseTask(hot, await fill(hot, 'hot', size)),
        batch: BATCH,
      },
    };
    if (size === 10_000) {
      const naiveSpread = new NaiveClaims();
      const naiveHot = new NaiveClaims();
      // Each naive operation scans 10,000 claims: smaller batches keep the rounds short.
      tasks[`naive array spread (${size})`] = {
        run: claimReleaseTask(naiveSpread, await fill(naiveSpread, 'spread', size)),
        batch: 4,
      };
      tasks[`naive array hot file (${size})`] = {
        run: claimReleaseTask(naiveHot, await fill(naiveHot, 'hot', size)),
        batch: 4,
      };
    }
    const m = await interleaved(tasks, ROUNDS);
    table(Object.values(m));
    const floor = m[`Map set+get+delete (${size})`]!.meanUs;
    ratio(`claims spread ${size} live vs Map`, m[`troupe spread (${size})`]!.meanUs / floor, {
      max: 5,
    });
    ratio(`claims hot file ${size} live vs Map`, m[`troupe hot file (${size})`]!.meanUs / floor, {
      max: 5,
    });
    if (size === 10_000) {
      ratio(
        `naive array spread ${size} vs claims`,
        m[`naive array spread (${size})`]!.meanUs / m[`troupe spread (${size})`]!.meanUs,
        { min: 100 },
      );
      ratio(
        `naive array hot file ${size} vs claims`,
        m[`naive array hot file (${size})`]!.meanUs / m[`troupe hot file (${size})`]!.meanUs,
        { min: 100 },
      );
    }
    await spread.close();
    await hot.close();
  }
}
