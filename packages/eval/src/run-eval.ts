import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AgentDefinition,
  type Clock,
  createRateLimiter,
  createRng,
  invalidArgument,
  type Model,
  type RateLimitRule,
  SimulatedClock,
  systemClock,
} from '@troupe/core';
import { driveClock } from './internal/drive.js';
import { Progress } from './internal/progress.js';
import { ResultsWriter, readResults, UNFINISHED } from './internal/results-file.js';
import { runTask, type TaskServices, withModel } from './internal/run-task.js';
import { policyModel, stubTools } from './internal/sim-model.js';
import { type CheckedOptions, checkOptions, type RunEvalOptions } from './options.js';
import { renderEvalReport } from './report-html.js';
import { type ResolvedSuite, resolveSuite } from './suite.js';
import { type EvalSummary, summarize } from './summary.js';
import type { EvalSuite, EvalTask, TaskResult } from './types.js';

/** The limiter key of the suite's budget (a lifetime rule every model call takes a lease on). */
export const BUDGET_KEY = 'eval:budget';

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

/** The placeholder model of a rehearsal's team factory (every agent's is replaced). */
const REHEARSAL_MODEL: Model = {
  id: 'eval:rehearsal',
  generate: () =>
    Promise.reject(new Error('a rehearsal replaces every agent model with a policy model')),
};

interface OutMeta {
  readonly suite: string;
  readonly mode: 'live' | 'simulate';
  readonly seed?: number;
}

/** Claims OUT for this suite and mode; refuses one written by another suite or mode. */
async function claimOut(out: string, meta: OutMeta): Promise<void> {
  await mkdir(out, { recursive: true });
  const path = join(out, 'eval.json');
  let existing: OutMeta | undefined;
  try {
    existing = JSON.parse(await readFile(path, 'utf8')) as OutMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing !== undefined) {
    if (existing.suite !== meta.suite || existing.mode !== meta.mode || existing.seed !== meta.seed)
      throw invalidArgument(
        `options.out: ${out} holds results of ${JSON.stringify(existing)}, not ${JSON.stringify(meta)}`,
      );
    return;
  }
  await writeFile(`${path}.tmp`, `${JSON.stringify(meta)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The suite with the options' overrides. */
function overridden(suite: ResolvedSuite, o: CheckedOptions): ResolvedSuite {
  return {
    ...suite,
    concurrency: o.concurrency ?? suite.concurrency,
    limits: o.limits ?? suite.limits,
    budgetUsd: o.budgetUsd ?? suite.budgetUsd,
    timeoutMs: o.timeoutMs ?? suite.timeoutMs,
    retries: o.retries ?? suite.retries,
  };
}

/** The suite's rules, the first task's team spec's rules for keys the suite does not name, the budget. */
async function limiterRules(
  suite: ResolvedSuite,
  model: Model,
  clock: Clock,
  budgetLeft: number | undefined,
  extra: readonly RateLimitRule[],
): Promise<RateLimitRule[]> {
  const probe = new AbortController();
  const spec = await suite.team({ model, clock, signal: probe.signal, task: suite.tasks[0]! });
  probe.abort();
  const rules = [...suite.limits, ...extra];
  for (const rule of spec?.limits ?? [])
    if (!rules.some((r) => r.key === rule.key)) rules.push(rule);
  if (budgetLeft !== undefined) rules.push({ key: BUDGET_KEY, budgetUsd: budgetLeft });
  return rules;
}

/** The rehearsal's stand-ins for models and tools, seeded per (seed, task, agent). */
function rehearsal(o: NonNullable<CheckedOptions['simulate']>, clock: Clock) {
  const { scenario, seed } = o;
  return {
    simulate: (definition: AgentDefinition, agent: string, task: EvalTask) => {
      const key = `${seed}:${task.id}:${agent}`;
      const own = definition.tools.map((t) => t.name);
      const model = policyModel(scenario, agent, own, clock, createRng(key));
      return withModel(definition, model, stubTools(definition.tools, scenario, clock, key));
    },
    judgeModel: (task: EvalTask, name: string) =>
      policyModel(scenario, name, [], clock, createRng(`${seed}:${task.id}:judge:${name}`)),
  };
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
  const model = o.model && !sim ? o.model : REHEARSAL_MODEL;
  const results = await readResults(join(o.out, 'results.jsonl'));
  const done = (id: string) => {
    const r = results.get(id);
    return r !== undefined && !UNFINISHED.has(r.status);
  };
  const skipped = resolved.tasks.filter((t) => done(t.id)).map((t) => t.id);
  const todo = resolved.tasks.filter((t) => !done(t.id));
  const priorCost = skipped.reduce((sum, id) => sum + results.get(id)!.costUsd, 0);
  const budgetLeft = resolved.budgetUsd === undefined ? undefined : resolved.budgetUsd - priorCost;
  const simRules = sim
    ? sim.scenario.limits.map(
        (r) =>
          Object.fromEntries(
            Object.entries(r).filter(([, v]) => v !== undefined),
          ) as unknown as RateLimitRule,
      )
    : [];
  const rules = await limiterRules(
    resolved,
    model,
    clock,
    budgetLeft !== undefined && budgetLeft > 0 ? budgetLeft : undefined,
    simRules,
  );
  const limiter = createRateLimiter({ clock, rules });
  const aborted = new AbortController();
  // Each task in flight listens (once per attempt, removed after): more than Node's default 10.
  setMaxListeners(resolved.concurrency + 10, aborted.signal);
  const onAbort = () => aborted.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) aborted.abort();
  const stand = sim ? rehearsal(sim, clock) : undefined;
  const services: TaskServices = {
    suite: resolved,
    clock,
    limiter,
    limiterKeys: rules.map((r) => r.key),
    model,
    signal: aborted.signal,
    ...(stand ? { simulate: stand.simulate } : {}),
    judgeModel: stand ? stand.judgeModel : () => model,
  };
  const progress = new Progress(o.progress, resolved.tasks.length, skipped.length);
  progress.line(
    `eval ${resolved.name}: ${todo.length} to run, ${skipped.length} already finished, concurrency ${resolved.concurrency}${sim ? `, rehearsal seed ${sim.seed}` : ''}`,
  );
  const writer = await ResultsWriter.open(o.out);
  const ran: string[] = [];
  const writes: Promise<void>[] = [];
  let stoppedBy: EvalSummary['stoppedBy'];
  try {
    const pool = runPool(todo, resolved.concurrency, async (task) => {
      if (aborted.signal.aborted) {
        stoppedBy ??= 'abort';
        return false;
      }
      if (
        budgetLeft !== undefined &&
        (budgetLeft <= 0 || (await limiter.usage(BUDGET_KEY)).costUsd >= budgetLeft)
      ) {
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
      if (result.status === 'budget_exhausted') stoppedBy = 'budget';
      return result.status !== 'budget_exhausted';
    });
    if (sim && clock instanceof SimulatedClock) {
      // A rehearsal moves its own clock (a clock given in options is the caller's to move).
      let finished = false;
      void pool.finally(() => {
        finished = true;
      });
      await Promise.all([
        pool,
        driveClock(
          clock,
          () => finished,
          sim.scenario.stop.maxSimulatedMs,
          () => aborted.abort(),
        ),
      ]);
    } else await pool;
    await Promise.all(writes);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await writer.close();
  }
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

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
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
