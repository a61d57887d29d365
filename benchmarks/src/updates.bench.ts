/**
 * `applyUpdates` with 100,000 appends in one call, against the floor (a raw `push` loop over
 * the same values into a fresh array) in the same run; and the naive copy-per-append
 * (`[...list, value]` per update) at 10,000 appends, for contrast with `applyUpdates` at the
 * same size (it is quadratic: at 100,000 it would take minutes). Ratios compare medians, which
 * a busy shared machine disturbs less than means.
 */
import { applyUpdates, type ContextUpdate } from '@troupe/core';
import { heading, measure, ratio, table } from './lib/harness.js';

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

  heading('applyUpdates: appends in one call');
  const m = await measure({
    'raw push loop (100,000)': () => {
      const list: unknown[] = state.log.slice();
      for (let i = 0; i < big.length; i++) list.push((big[i] as { value: unknown }).value);
      sink += list.length;
    },
    'applyUpdates 100,000 appends': () => {
      sink += (applyUpdates(state, big).log as unknown[]).length;
    },
    'applyUpdates 100,000 appends over 4 keys': () => {
      sink += Object.keys(applyUpdates(state, bigInterleaved)).length;
    },
    'applyUpdates 10,000 appends': () => {
      sink += (applyUpdates(state, small).log as unknown[]).length;
    },
    'naive copy-per-append (10,000)': () => {
      sink += (naiveApply(state, small).log as unknown[]).length;
    },
  });
  table(Object.values(m));
  if (sink < 0) throw new Error('unreachable');
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
