import { invalidArgument } from '@troupe/core';
import type {
  AgentStats,
  AgentTimeline,
  Analysis,
  Bucket,
  TeamAnalysis,
  TeamRow,
} from './analyze.js';
import { addAt, type Counters, zeroCounters } from './counters.js';

const SERIES = ['modelCalls', 'leaseWaitMs', 'conflicts', 'faults'] as const;

function checkBuckets(buckets: number): void {
  if (!(Number.isInteger(buckets) && buckets >= 1)) {
    throw invalidArgument('options.buckets must be a positive integer', { buckets });
  }
}

/**
 * Merges teams' analyses one at a time, in team order, keeping only what the report needs:
 * summed totals and per-second series, one row of figures per team (for the spread across
 * teams) and the detail (timelines, per-agent figures) of the first team that has it. Memory
 * is bounded by the longest team's simulated seconds plus one small row per team, whatever
 * the teams' logs weigh: `runSimulation` folds each team in as it arrives and drops it.
 *
 * @example
 * ```ts
 * const merger = new AnalysisMerger();
 * for (const team of teams) merger.add(team);
 * const analysis = merger.result({ buckets: 30 });
 * ```
 */
export class AnalysisMerger {
  readonly #c: Counters = zeroCounters();
  readonly #faults: Record<string, number> = {};
  readonly #finish: Record<string, number> = {};
  readonly #series: Record<(typeof SERIES)[number], number[]> = {
    modelCalls: [],
    leaseWaitMs: [],
    conflicts: [],
    faults: [],
  };
  readonly #rows: TeamRow[] = [];
  #timelines: AgentTimeline[] = [];
  #agents: AgentStats[] = [];
  #detailTeam = -1;

  /** Folds in the next team (teams in order: the first with timelines becomes the detail). */
  add(team: TeamAnalysis, index = this.#rows.length): void {
    const c = this.#c;
    const t = team.totals;
    for (const key of Object.keys(c) as (keyof Counters)[]) {
      if (key === 'simulatedMs') c.simulatedMs = Math.max(c.simulatedMs, t.simulatedMs);
      else c[key] += t[key];
    }
    for (const [k, n] of Object.entries(t.faults)) this.#faults[k] = (this.#faults[k] ?? 0) + n;
    for (const [k, n] of Object.entries(t.finishReasons))
      this.#finish[k] = (this.#finish[k] ?? 0) + n;
    for (const name of SERIES) {
      const from = team.perSecond[name];
      for (let i = 0; i < from.length; i++)
        if (from[i] !== 0) addAt(this.#series[name], i, from[i]!);
    }
    this.#rows.push({
      team: index,
      finish: Object.keys(t.finishReasons)[0] ?? '',
      agents: t.agents,
      simulatedMs: t.simulatedMs,
      modelCalls: t.modelCalls,
      turns: t.turns,
      costUsd: t.costUsd,
      conflicts: t.conflicts,
      faults: t.modelFailures,
      leaseWaitMs: t.leaseWaitMs,
    });
    if (this.#detailTeam < 0 && team.timelines.length > 0) {
      this.#detailTeam = index;
      this.#timelines = team.timelines;
      this.#agents = team.agents;
    }
  }

  /** The merged analysis, its series folded into about `buckets` (default 60) chart buckets. */
  result(options: { buckets?: number } = {}): Analysis {
    const bucketCount = options.buckets ?? 60;
    checkBuckets(bucketCount);
    const c = { ...this.#c };
    const seconds = Math.max(1, Math.ceil(c.simulatedMs / 1_000));
    const perBucket = Math.max(1, Math.ceil(seconds / bucketCount));
    const buckets: Bucket[] = [];
    const s = this.#series;
    for (let at = 0; at < seconds; at += perBucket) {
      const sum = (xs: number[]) => {
        let total = 0;
        for (let i = at; i < at + perBucket && i < xs.length; i++) total += xs[i]!;
        return total;
      };
      buckets.push({
        t: at * 1_000,
        modelCalls: sum(s.modelCalls),
        leaseWaitMs: sum(s.leaseWaitMs),
        conflicts: sum(s.conflicts),
        faults: sum(s.faults),
      });
    }
    c.costUsd = Math.round(c.costUsd * 1e6) / 1e6;
    return {
      totals: { ...c, faults: { ...this.#faults }, finishReasons: { ...this.#finish } },
      bucketMs: perBucket * 1_000,
      buckets,
      timelines: this.#timelines,
      agents: this.#agents,
      detailTeam: Math.max(0, this.#detailTeam),
      perTeam: this.#rows,
    };
  }
}

/**
 * Merges teams' analyses (in team order) into one: totals summed (simulated time is the
 * longest team's), per-second series summed and folded into about `buckets` chart buckets,
 * timelines and per-agent figures from the first team that has them, one row per team.
 * `buckets` (default 60) must be a positive integer.
 *
 * @example
 * ```ts
 * const analysis = mergeAnalyses([first.result(), second.result()], { buckets: 30 });
 * ```
 */
export function mergeAnalyses(
  teams: readonly TeamAnalysis[],
  options: { buckets?: number } = {},
): Analysis {
  checkBuckets(options.buckets ?? 60);
  const merger = new AnalysisMerger();
  for (const team of teams) merger.add(team);
  return merger.result(options);
}
