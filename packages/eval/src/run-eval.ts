import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type Clock, createRateLimiter, SimulatedClock, systemClock } from '@troupe/core';
import { driveClock } from './internal/drive.js';
import { Progress } from './internal/progress.js';
import { ResultsWriter, readResults, UNFINISHED } from './internal/results-file.js';
import { runTask, type TaskServices } from './internal/run-task.js';
import {
  BUDGET_KEY,
  claimOut,
  limiterRules,
  overridden,
  REHEARSAL_MODEL,
  rehearsal,
  scenarioRules,
  writeAtomically,
} from './internal/setup.js';
import { type CheckedOptions, checkOptions, type RunEvalOptions } from './options.js';
import { renderEvalReport } from './report-html.js';
import { type ResolvedSuite, resolveSuite } from './suite.js';
import { type EvalSummary, summarize } from './summary.js';
import type { EvalSuite, EvalTask, TaskResult } from './types.js';

export { BUDGET_KEY } from './internal/setup.js';

/**
 * What {@link runEval} resolves with.
 *
 * @example
 * ```ts
 * const { summary, ran, skipped } = await runEval(suite, { out: 'out', model });
 * ```
 */
export interface EvalRun {
  readonly summary: EvalSummary;
  /** Every finished task's result (this run's and earlier runs' in the same OUT), in dataset order. */
  readonly results: readonly TaskResult[];
  /** Ids of tasks that ran in this call, in the order they ended. */
  readonly ran: readonly string[];
  /** Ids skipped because OUT already had their result. */
  readonly skipped: readonly string[];
}

/** Digest of a rehearsal's results in dataset order: equal for equal seeds. */
function resultsHash(tasks: readonly EvalTask[], results: ReadonlyMap<string, TaskResult>): string {
  const hash = createHash('sha256');
  for (const task of tasks) hash.update(`${JSON.stringify(results.get(task.id) ?? null)}\n`);
  return hash.digest('hex');
}

/**
 * Runs a benchmark suite: each task's team (built afresh by the suite's factory) gets the
 * task's input and runs until idle; scorers grade it; its result line is appended to
 * `OUT/results.jsonl` and fsynced before it counts. Tasks run `concurrency` at a time under
 * ONE limiter (the suite's limits and budget); a spent budget stops starting tasks. Running
 * again with the same `out` skips finished tasks. Writes `summary.json` and `report.html`.
 *
 * @example
 * ```ts
 * const { summary } = await runEval(suite, { out: 'runs/1', model, concurrency: 8 });
 * console.log(summary.scorers.exact?.mean);
 * ```
 */
export async function runEval(suite: EvalSuite, options: RunEvalOptions): Promise<EvalRun> {
  const o = checkOptions(options);
  const resolved = overridden(await resolveSuite(suite), o);
  const sim = o.simulate;
  await claimOut(o.out, {
    suite: resolved.name,
    mode: sim ? 'simulate' : 'live',
    ...(sim ? { seed: sim.seed } : {}),
  });
  const clock: Clock = sim ? new SimulatedClock(0) : (o.clock ?? systemClock);
  const results = await readResults(join(o.out, 'results.jsonl'));
  const done = (id: string) => {
    const r = results.get(id);
    return r !== undefined && !UNFINISHED.has(r.status);
  };
  const skipped = resolved.tasks.filter((t) => done(t.id)).map((t) => t.id);
  const todo = resolved.tasks.filter((t) => !done(t.id));
  // The budget counts what earlier runs into the same OUT spent.
  let priorCost = 0;
  for (const r of results.values()) priorCost += r.costUsd;
  const budgetLeft = resolved.budgetUsd === undefined ? undefined : resolved.budgetUsd - priorCost;
  const progress = new Progress(o.progress, resolved.tasks.length, skipped.length);
  progress.line(
    `eval ${resolved.name}: ${todo.length} to run, ${skipped.length} already finished, concurrency ${resolved.concurrency}${sim ? `, rehearsal seed ${sim.seed}` : ''}`,
  );
  const run = { o, suite: resolved, clock, results, todo, budgetLeft, progress };
  const { ran, stoppedBy } = await runTasks(run);
  const simulation = sim
    ? { seed: sim.seed, hash: resultsHash(resolved.tasks, results), durationMs: clock.now() }
    : undefined;
  const summary = summarize(resolved.name, resolved.tasks, results, {
    ...(resolved.budgetUsd === undefined ? {} : { budgetUsd: resolved.budgetUsd }),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(simulation ? { simulation } : {}),
  });
  await writeAtomically(join(o.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeAtomically(
    join(o.out, 'report.html'),
    renderEvalReport(summary, resolved.tasks, results),
  );
  progress.line(
    `eval ${resolved.name}: ${summary.completed}/${summary.tasks} completed, ${summary.failed} failed, ${summary.notRun.length} not run, $${summary.costUsd.toFixed(4)}${simulation ? `, ${(simulation.durationMs / 1000).toFixed(1)}s simulated, hash ${simulation.hash}` : ''}`,
  );
  return {
    summary,
    results: resolved.tasks.flatMap((t) => (results.has(t.id) ? [results.get(t.id)!] : [])),
    ran,
    skipped,
  };
}

/** One call of runEval once its OUT is read. */
interface SuiteRun {
  readonly o: CheckedOptions;
  readonly suite: ResolvedSuite;
  readonly clock: Clock;
  readonly results: Map<string, TaskResult>;
  readonly todo: readonly EvalTask[];
  readonly budgetLeft: number | undefined;
  readonly progress: Progress;
}

/** The services every task shares: one limiter for the suite, the model or its stand-ins. */
async function taskServices(run: SuiteRun, signal: AbortSignal): Promise<TaskServices> {
  const { o, suite, clock, budgetLeft } = run;
  const sim = o.simulate;
  const model = o.model && !sim ? o.model : REHEARSAL_MODEL;
  const rules = await limiterRules(
    suite,
    model,
    clock,
    budgetLeft !== undefined && budgetLeft > 0 ? budgetLeft : undefined,
    sim ? scenarioRules(sim.scenario) : [],
  );
  const stand = sim ? rehearsal(sim, clock) : undefined;
  return {
    suite,
    clock,
    limiter: createRateLimiter({ clock, rules }),
    limiterKeys: rules.map((r) => r.key),
    model,
    signal,
    teams: new Set(),
    ...(stand ? { simulate: stand.simulate } : {}),
    judgeModel: stand ? stand.judgeModel : () => model,
  };
}

/**
 * Runs the tasks not yet finished, `concurrency` at a time, appending each result durably;
 * stops starting tasks once the budget is spent or the caller aborts.
 */
async function runTasks(
  run: SuiteRun,
): Promise<{ ran: string[]; stoppedBy: EvalSummary['stoppedBy'] }> {
  const { o, suite, clock, results, budgetLeft, progress } = run;
  const aborted = new AbortController();
  const onAbort = () => aborted.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) aborted.abort();
  const services = await taskServices(run, aborted.signal);
  aborted.signal.addEventListener('abort', () => {
    for (const team of services.teams) void team.close();
  });
  const writer = await ResultsWriter.open(o.out);
  const ran: string[] = [];
  const writes: Promise<void>[] = [];
  let stoppedBy: EvalSummary['stoppedBy'];
  const spent = async () =>
    budgetLeft !== undefined &&
    (budgetLeft <= 0 || (await services.limiter.usage(BUDGET_KEY)).costUsd >= budgetLeft);
  try {
    const pool = runPool(run.todo, suite.concurrency, async (task) => {
      if (aborted.signal.aborted) return false;
      if (await spent()) {
        stoppedBy = 'budget';
        return false;
      }
      const result = await runTask(services, task);
      results.set(task.id, result);
      // The slot moves on while the line goes to disk; the task counts once it is there.
      writes.push(
        writer.append(result).then(() => {
          ran.push(task.id);
          progress.finished(result);
        }),
      );
      if (result.status !== 'budget_exhausted') return true;
      stoppedBy = 'budget';
      return false;
    });
    const sim = o.simulate;
    // A rehearsal moves its own clock (a clock given in options is the caller's to move).
    if (sim && clock instanceof SimulatedClock) {
      let finished = false;
      void pool.finally(() => {
        finished = true;
      });
      const maxMs = sim.scenario.stop.maxSimulatedMs;
      const settled = () => Promise.all([...services.teams].map((team) => team.settled()));
      await Promise.all([
        pool,
        driveClock(
          clock,
          () => finished,
          settled,
          maxMs,
          () => aborted.abort(),
        ),
      ]);
    } else await pool;
    await Promise.all(writes);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await writer.close();
  }
  if (aborted.signal.aborted) stoppedBy ??= 'abort';
  return { ran, stoppedBy };
}

/**
 * Runs `work` over `tasks`, at most `concurrency` at once, in dataset order; once a call
 * returns false no further task starts (those running finish).
 */
async function runPool<T>(
  tasks: readonly T[],
  concurrency: number,
  work: (task: T) => Promise<boolean>,
): Promise<void> {
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < tasks.length) {
      const task = tasks[next++]!;
      if (!(await work(task))) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
