/**
 * Claim + release on the shared state with 10 / 1,000 / 10,000 live claims, in two layouts:
 * - spread: one live claim per file (agent i holds [0, 9] of file i); the measured operation
 *   claims [10, 19] of a random file and releases it;
 * - hot: every live claim on one file (agent i holds [10i, 10i + 8]); the measured operation
 *   claims the free point 10k + 9 between two of them and releases it.
 * Judged against the floor, a `Map` set + get + delete on a random key of a Map of the same size
 * (no claim-store library exists to compare with). A naive store that keeps every claim in one
 * array and scans it all is printed beside it for scale, without a goal: a straw man cannot fail.
 *
 * Operations are timed in batches ({@link BATCH}, or 4 for the naive store), the tasks
 * interleaved round by round, and the median batch reported per operation. The in-memory
 * store answers synchronously, so it is measured as the Map and the naive store are: called
 * directly. The same store with every call `await`ed (what code written against the async
 * `SharedStateBackend` interface pays: a microtask turn per call) is measured after, in rounds
 * of its own against its own Map floor, for information (no goal).
 */
import {
  type ClaimRequest,
  type ClaimResult,
  createSharedState,
  type MemorySharedState,
  systemClock,
} from '@troupe/core';
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

  claim(req: ClaimRequest): ClaimResult {
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

  release(agent: string, resource: string): boolean {
    const i = this.#claims.findIndex((c) => c.agent === agent && c.resource === resource);
    if (i < 0) return false;
    this.#claims.splice(i, 1);
    return true;
  }
}

/** A claim store as measured here: synchronous answers. */
interface Store {
  claim(req: ClaimRequest): ClaimResult;
  release(agent: string, resource: string): boolean;
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
          ttlMs: TTL_MS,
        }),
        probe: (k: number): ClaimRequest => ({
          agent: 'bench',
          resource: `src/file-${k}.ts`,
          start: 10,
          end: 19,
          ttlMs: TTL_MS,
        }),
      }
    : {
        live: (i: number): ClaimRequest => ({
          agent: `agent-${i}`,
          resource: 'src/hot.ts',
          start: i * 10,
          end: i * 10 + 8,
          ttlMs: TTL_MS,
        }),
        probe: (k: number): ClaimRequest => ({
          agent: 'bench',
          resource: 'src/hot.ts',
          start: k * 10 + 9,
          end: k * 10 + 9,
          ttlMs: TTL_MS,
        }),
      };
}

/** Claims `size` live ranges and returns probe requests over `size` slots. */
function fill(store: Store, kind: Layout, size: number): ClaimRequest[] {
  const { live, probe } = layout(kind);
  for (let i = 0; i < size; i++) {
    const result = store.claim(live(i));
    if (!result.ok) throw new Error(`setup claim ${i} conflicted`);
  }
  // Probe requests built up front, in a shuffled order, so the loop measures only the store.
  // Each is a plain literal, as a caller writes one: all share one hidden class. (Copies made
  // with `{ ...request, ttlMs }` in a loop get a hidden class each in V8, 4,096 of them, and
  // every property read of such a request in any consumer goes megamorphic: measured here,
  // that alone tripled the store's time at 10 live claims.)
  const probes: ClaimRequest[] = [];
  for (let j = 0; j < 4_096; j++) probes.push(probe((j * 7_919) % size));
  return probes;
}

function claimReleaseTask(store: Store, probes: ClaimRequest[]): (ops: number) => void {
  let j = 0;
  return (ops) => {
    for (let n = 0; n < ops; n++) {
      const req = probes[j++ & 4_095]!;
      const result = store.claim(req);
      if (!result.ok) throw new Error('probe claim conflicted');
      store.release(req.agent, req.resource);
    }
  };
}

/** The same loop with every call awaited, as code written against the async interface runs. */
function awaitedTask(store: Store, probes: ClaimRequest[]): (ops: number) => Promise<void> {
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

/**
 * Not a store: the two clock reads every claim + release makes (grant time, then liveness on
 * release). No store with expiry can skip them; printed to show how much of the store's time
 * they are next to the Map floor.
 */
function clockTask(): (ops: number) => void {
  let sink = 0;
  return (ops) => {
    for (let n = 0; n < ops; n++) sink += systemClock.now() - systemClock.now();
    if (Number.isNaN(sink)) throw new Error('unreachable');
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
      const done = task.run(task.batch);
      if (done instanceof Promise) await done;
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
    const newStore = (): MemorySharedState =>
      createSharedState({ clock: systemClock, defaultTtlMs: TTL_MS });
    // The goals: the store called directly, with the floor and the naive store in the same
    // rounds. Every task has its own store: a task run right after another one on the same
    // store and probe sequence would find that store's lines in cache and look faster.
    const spread = newStore();
    const hot = newStore();
    const tasks: Record<string, Task> = {
      [`Map set+get+delete (${size})`]: { run: mapTask(size), batch: BATCH },
      [`2 clock reads, no store (${size})`]: { run: clockTask(), batch: BATCH },
      [`troupe spread (${size})`]: {
        run: claimReleaseTask(spread, fill(spread, 'spread', size)),
        batch: BATCH,
      },
      [`troupe hot file (${size})`]: {
        run: claimReleaseTask(hot, fill(hot, 'hot', size)),
        batch: BATCH,
      },
    };
    if (size === 10_000) {
      const naiveSpread = new NaiveClaims();
      const naiveHot = new NaiveClaims();
      // Each naive operation scans 10,000 claims: smaller batches keep the rounds short.
      tasks[`naive array spread (${size})`] = {
        run: claimReleaseTask(naiveSpread, fill(naiveSpread, 'spread', size)),
        batch: 4,
      };
      tasks[`naive array hot file (${size})`] = {
        run: claimReleaseTask(naiveHot, fill(naiveHot, 'hot', size)),
        batch: 4,
      };
    }
    const m = await interleaved(tasks, ROUNDS);
    table(Object.values(m));
    const us = (name: string): number => m[`${name} (${size})`]!.meanUs;
    const floor = us('Map set+get+delete');
    ratio(`claims spread ${size} live vs Map`, us('troupe spread') / floor, { max: 5 });
    ratio(`claims hot file ${size} live vs Map`, us('troupe hot file') / floor, { max: 5 });
    // No goal: the part of the store's time that is reading the clock.
    ratio(`2 clock reads alone (${size}) vs Map`, us('2 clock reads, no store') / floor);
    if (size === 10_000) {
      // A straw man written for the comparison: shown for scale, never a goal.
      ratio(`naive array spread ${size} vs claims`, us('naive array spread') / us('troupe spread'));
      ratio(
        `naive array hot file ${size} vs claims`,
        us('naive array hot file') / us('troupe hot file'),
      );
    }
    await spread.close();
    await hot.close();

    // For information, no goal: the same stores with every call awaited (what code written
    // against the async interface pays), in rounds of their own with their own floor.
    const spreadAwaited = newStore();
    const hotAwaited = newStore();
    const awaited = await interleaved(
      {
        [`Map set+get+delete (${size})`]: { run: mapTask(size), batch: BATCH },
        [`troupe spread, awaited (${size})`]: {
          run: awaitedTask(spreadAwaited, fill(spreadAwaited, 'spread', size)),
          batch: BATCH,
        },
        [`troupe hot file, awaited (${size})`]: {
          run: awaitedTask(hotAwaited, fill(hotAwaited, 'hot', size)),
          batch: BATCH,
        },
      },
      ROUNDS,
    );
    table(Object.values(awaited).slice(1));
    const awaitedUs = (name: string): number => awaited[`${name} (${size})`]!.meanUs;
    const awaitedFloor = awaitedUs('Map set+get+delete');
    ratio(
      `claims spread ${size} live, awaited, vs Map`,
      awaitedUs('troupe spread, awaited') / awaitedFloor,
    );
    ratio(
      `claims hot file ${size} live, awaited, vs Map`,
      awaitedUs('troupe hot file, awaited') / awaitedFloor,
    );
    await spreadAwaited.close();
    await hotAwaited.close();
  }
}
