/**
 * `applyUpdates` with 100,000 appends in one call, against the floor (a raw `push` loop over
 * the same values into a copy of the list) in the same run; and the naive copy-per-append
 * (`[...list, value]` per update) at 10,000 appends, for contrast with `applyUpdates` at the
 * same size (it is quadratic: at 100,000 it would take minutes).
 *
 * The tasks run interleaved, one call of each per round, and the median per task is reported:
 * this machine is shared, and interleaving makes load hit every task alike.
 */
import { applyUpdates, type ContextUpdate } from '@troupe/core';
import { collectGarbage, heading, type Measured, ratio, table } from './lib/harness.js';

const ROUNDS = 60;
/** The naive version takes a few hundred ms per call: fewer rounds of it. */
const NAIVE_EVERY = 10;

const appends = (n: number, keys: readonly string[]): ContextUpdate[] =>
  Array.from({ length: n }, (_, i) => ({ op: 'append', key: keys[i % keys.length]!, value: i }));

/** The naive way: a new state and a new list per append. */
function naiveApply(state: Record<string, unknown>, updates: readonly ContextUpdate[]) {
  let s = state;
  for (const u of updates) {
    if (u.op !== 'append') throw new Error('naive: appends only');
    const list = (s[u.key] as unknown[] | undefined) ?? [];
    s = { ...s, [u.key]: [...list, u.value] };
  }
  return s;
}

export default async function updatesBench(): Promise<void> {
  const big = appends(100_000, ['log']);
  const bigInterleaved = appends(100_000, ['a', 'b', 'c', 'd']);
  const small = appends(10_000, ['log']);
  const state = { log: [0, 1, 2], other: 'untouched' };
  let sink = 0;

  const tasks: Record<string, { run: () => void; every: number }> = {
    'raw push loop (100,000)': {
      every: 1,
      run: () => {
        const list: unknown[] = state.log.slice();
        for (let i = 0; i < big.length; i++) list.push((big[i] as { value: unknown }).value);
        sink += list.length;
      },
    },
    'applyUpdates 100,000 appends': {
      every: 1,
      run: () => {
        sink += (applyUpdates(state, big).log as unknown[]).length;
      },
    },
    'applyUpdates 100,000 appends over 4 keys': {
      every: 1,
      run: () => {
        sink += Object.keys(applyUpdates(state, bigInterleaved)).length;
      },
    },
    'applyUpdates 10,000 appends': {
      every: 1,
      run: () => {
        sink += (applyUpdates(state, small).log as unknown[]).length;
      },
    },
    'naive copy-per-append (10,000)': {
      every: NAIVE_EVERY,
      run: () => {
        sink += (naiveApply(state, small).log as unknown[]).length;
      },
    },
  };

  heading('applyUpdates: appends in one call (median of interleaved rounds)');
  const samples = new Map<string, number[]>(Object.keys(tasks).map((name) => [name, []]));
  const warm = 5;
  for (let r = 0; r < ROUNDS + warm; r++) {
    for (const [name, task] of Object.entries(tasks)) {
      if (r % task.every !== 0) continue;
      // Each call starts from a collected heap, so one task's garbage is not another's pause.
      collectGarbage();
      const t0 = performance.now();
      task.run();
      const us = (performance.now() - t0) * 1_000;
      if (r >= warm) samples.get(name)!.push(us);
    }
  }
  if (sink < 0) throw new Error('unreachable');

  const m: Record<string, Measured> = {};
  for (const [name, list] of samples) {
    const sorted = list.sort((a, b) => a - b);
    const p50 = sorted[sorted.length >> 1]!;
    m[name] = {
      name,
      meanUs: p50,
      p50Us: p50,
      p99Us: sorted[sorted.length - 1]!,
      opsPerSec: 1e6 / p50,
      samples: sorted.length,
    };
  }
  table(Object.values(m));
  ratio(
    'applyUpdates 100,000 appends vs raw push loop',
    m['applyUpdates 100,000 appends']!.p50Us / m['raw push loop (100,000)']!.p50Us,
    { max: 3 },
  );
  ratio(
    'naive copy-per-append vs applyUpdates at 10,000',
    m['naive copy-per-append (10,000)']!.p50Us / m['applyUpdates 10,000 appends']!.p50Us,
  );
}
