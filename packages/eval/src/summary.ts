import { type MeanCi, meanWithCi, percentile } from './stats.js';
import type { EvalTask, TaskResult } from './types.js';

/**
 * `OUT/summary.json`: every task of the suite, how they ended and what they scored and cost.
 *
 * @example
 * ```ts
 * const { scorers } = JSON.parse(await readFile('out/summary.json', 'utf8')) as EvalSummary;
 * console.log(scorers.exact?.mean, scorers.exact?.ci95);
 * ```
 */
export interface EvalSummary {
  readonly suite: string;
  /** Tasks in the dataset. */
  readonly tasks: number;
  /** Tasks with a result: completed or not. */
  readonly finished: number;
  readonly completed: number;
  /** Finished without completing (failed, timeout, max_turns, ...). */
  readonly failed: number;
  /** Ids of tasks never finished (a spent budget, an abort). */
  readonly notRun: readonly string[];
  /** Finished tasks by status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Per scorer, over the finished tasks (a task that did not complete scores 0). */
  readonly scorers: Readonly<Record<string, MeanCi>>;
  readonly costUsd: number;
  readonly tokens: { readonly input: number; readonly output: number; readonly total: number };
  readonly requests: number;
  /** Time agents waited for limiter leases, over every task. */
  readonly leaseWaitMs: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly mean: number;
  };
  /** Set when the budget stopped the run: what it was. */
  readonly budgetUsd?: number;
  readonly stoppedBy?: 'budget' | 'abort';
  /** A rehearsal's seed, hash of its results and simulated time. */
  readonly simulation?: {
    readonly seed: number;
    readonly hash: string;
    readonly durationMs: number;
  };
}

/** Builds the summary from the dataset and the results (one per finished task). */
export function summarize(
  suite: string,
  tasks: readonly EvalTask[],
  results: ReadonlyMap<string, TaskResult>,
  extra: Pick<EvalSummary, 'budgetUsd' | 'stoppedBy' | 'simulation'> = {},
): EvalSummary {
  const finished = tasks.flatMap((t) => {
    const r = results.get(t.id);
    return r ? [r] : [];
  });
  const statuses: Record<string, number> = {};
  const perScorer = new Map<string, number[]>();
  let costUsd = 0;
  let input = 0;
  let output = 0;
  let requests = 0;
  let leaseWaitMs = 0;
  for (const r of finished) {
    leaseWaitMs += r.leaseWaitMs ?? 0;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    for (const [name, { score }] of Object.entries(r.scores)) {
      const list = perScorer.get(name);
      if (list) list.push(score);
      else perScorer.set(name, [score]);
    }
    costUsd += r.costUsd;
    input += r.usage.inputTokens;
    output += r.usage.outputTokens;
    requests += r.usage.requests;
  }
  const latencies = finished.map((r) => r.latencyMs);
  const completed = statuses.completed ?? 0;
  return {
    suite,
    tasks: tasks.length,
    finished: finished.length,
    completed,
    failed: finished.length - completed,
    notRun: tasks.filter((t) => !results.has(t.id)).map((t) => t.id),
    statuses,
    scorers: Object.fromEntries([...perScorer].map(([name, values]) => [name, meanWithCi(values)])),
    costUsd: Math.round(costUsd * 1e9) / 1e9,
    tokens: { input, output, total: input + output },
    requests,
    leaseWaitMs,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      mean: latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length,
    },
    ...extra,
  };
}
