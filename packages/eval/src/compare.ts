import { join } from 'node:path';
import { invalidArgument } from '@troupe/core';
import { readResults } from './internal/results-file.js';
import { type MeanCi, meanWithCi } from './stats.js';
import type { TaskResult } from './types.js';

/**
 * One scorer across two runs: each run's mean and interval, and the paired difference over
 * the tasks both runs finished (B minus A) with its 95% interval.
 *
 * @example
 * ```ts
 * const significant = (d: ScorerDelta) => d.delta.ci95[0] > 0 || d.delta.ci95[1] < 0;
 * ```
 */
export interface ScorerDelta {
  readonly scorer: string;
  readonly a: MeanCi;
  readonly b: MeanCi;
  readonly delta: MeanCi;
}

/**
 * A task whose score changed between the runs.
 *
 * @example
 * ```ts
 * const line = (c: ChangedTask) => `${c.id} ${c.scorer}: ${c.a} -> ${c.b}`;
 * ```
 */
export interface ChangedTask {
  readonly id: string;
  readonly scorer: string;
  readonly a: number;
  readonly b: number;
}

/**
 * What {@link compareRuns} finds.
 *
 * @example
 * ```ts
 * const { scorers, changed, onlyA, onlyB } = await compareRuns('runs/before', 'runs/after');
 * ```
 */
export interface EvalComparison {
  readonly scorers: readonly ScorerDelta[];
  readonly changed: readonly ChangedTask[];
  /** Ids finished only in A, only in B. */
  readonly onlyA: readonly string[];
  readonly onlyB: readonly string[];
}

function collect(
  results: ReadonlyMap<string, TaskResult>,
  scorer: string,
  ids: readonly string[],
): number[] {
  return ids.flatMap((id) => {
    const s = results.get(id)?.scores[scorer];
    return s === undefined ? [] : [s.score];
  });
}

/**
 * Compares two OUT directories of the same suite: per-scorer deltas with confidence
 * intervals and the tasks whose score changed.
 *
 * @example
 * ```ts
 * const comparison = await compareRuns('runs/gpt-4o', 'runs/gpt-5');
 * for (const d of comparison.scorers) console.log(d.scorer, d.delta.mean, d.delta.ci95);
 * ```
 */
export async function compareRuns(outA: string, outB: string): Promise<EvalComparison> {
  for (const [name, value] of [
    ['outA', outA],
    ['outB', outB],
  ] as const)
    if (typeof value !== 'string' || value.length === 0)
      throw invalidArgument(`${name} must be a directory path`);
  const [a, b] = await Promise.all([
    readResults(join(outA, 'results.jsonl'), { repair: false }),
    readResults(join(outB, 'results.jsonl'), { repair: false }),
  ]);
  if (a.size === 0) throw invalidArgument(`outA: ${outA} has no results`);
  if (b.size === 0) throw invalidArgument(`outB: ${outB} has no results`);
  const both = [...a.keys()].filter((id) => b.has(id));
  const names = new Set<string>();
  for (const r of [...a.values(), ...b.values()])
    for (const name of Object.keys(r.scores)) names.add(name);
  const scorers: ScorerDelta[] = [];
  const changed: ChangedTask[] = [];
  for (const scorer of [...names].sort()) {
    const diffs: number[] = [];
    for (const id of both) {
      const sa = a.get(id)!.scores[scorer];
      const sb = b.get(id)!.scores[scorer];
      if (sa === undefined || sb === undefined) continue;
      diffs.push(sb.score - sa.score);
      if (sa.score !== sb.score) changed.push({ id, scorer, a: sa.score, b: sb.score });
    }
    scorers.push({
      scorer,
      a: meanWithCi(collect(a, scorer, [...a.keys()])),
      b: meanWithCi(collect(b, scorer, [...b.keys()])),
      delta: meanWithCi(diffs),
    });
  }
  return {
    scorers,
    changed,
    onlyA: [...a.keys()].filter((id) => !b.has(id)),
    onlyB: [...b.keys()].filter((id) => !a.has(id)),
  };
}

const f = (n: number) => (n >= 0 ? ' ' : '') + n.toFixed(3);

/**
 * The comparison as text, as `troupe eval compare` prints it.
 *
 * @example
 * ```ts
 * process.stdout.write(formatComparison(await compareRuns('a', 'b')));
 * ```
 */
export function formatComparison(c: EvalComparison): string {
  const lines = [
    'scorer                     A (95% CI)                  B (95% CI)                  B-A paired (95% CI)',
  ];
  for (const d of c.scorers) {
    const cell = (m: MeanCi) => `${f(m.mean)} [${f(m.ci95[0])},${f(m.ci95[1])}]`.padEnd(28);
    lines.push(`${d.scorer.padEnd(26)} ${cell(d.a)}${cell(d.b)}${cell(d.delta)}n=${d.delta.n}`);
  }
  lines.push('', `tasks whose score changed: ${c.changed.length}`);
  for (const ch of c.changed) lines.push(`  ${ch.id} ${ch.scorer}: ${ch.a} -> ${ch.b}`);
  if (c.onlyA.length > 0) lines.push(`only in A: ${c.onlyA.join(', ')}`);
  if (c.onlyB.length > 0) lines.push(`only in B: ${c.onlyB.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
