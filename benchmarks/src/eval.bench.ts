/**
 * `troupe eval` under load, in one run.
 *
 * 1. Requests per second against the limiter's ceiling. A suite of zero-latency tasks (a
 *    scripted model that answers at once, one model call per task) runs under a suite-wide
 *    limit of {@link LIMIT} requests per {@link WINDOW_MS} ms, on the REAL clock. On a simulated
 *    clock the harness's own CPU time costs no simulated time, so the ratio would be 1.00 by
 *    construction and would prove nothing; on the real clock every millisecond the harness
 *    spends between a window opening and the next lease being taken shows. What the limit
 *    allows: the first {@link LIMIT} requests at once, each further batch one window later, so
 *    N requests need at least floor((N-1)/LIMIT) windows. Ratio = that minimum / the measured
 *    time from the first to the last admission (goal >= 0.95). Median of {@link ROUNDS} rounds.
 * 2. The harness's overhead per task: the same teams run by hand (createTeam, spawn, team.run,
 *    close; the same shared limiter, concurrency and model) against `runEval` (which adds
 *    scoring, the fsynced results file, the summary and the report). Ratio = runEval time per
 *    task / by-hand time per task: medians of alternating rounds of 1,000 tasks each, so what a suite pays once
 *    (its folder, the summary, the report) is spread as it would be over a real suite (goal <= 1.2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type Model,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { defineSuite, type EvalSuite, includes, runEval } from '@troupe/eval';
import { collectGarbage, figure, heading, ratio } from './lib/harness.js';

const envTime = Number(process.env.BENCH_TIME_MS);
const short = Number.isFinite(envTime) && envTime > 0 && envTime < 500;
const LIMIT = 100;
const WINDOW_MS = 200;
const WINDOWS = short ? 5 : 10;
const ROUNDS = short ? 1 : 3;
const OVERHEAD_TASKS = 1_000;
const CONCURRENCY = 16;
const WARMUPS = short ? 1 : 2;
const OVERHEAD_ROUNDS = short ? 3 : 7;

const answering = (): Model =>
  scriptedModel({
    record: false,
    steps: (_request, call) => ({
      text: `echo ${call.lastUser ?? ''}`,
      usage: { inputTokens: 10, outputTokens: 2, costUsd: 0 },
    }),
  });

const dataset = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `t${i}`, input: `task ${i}`, expected: `task ${i}` }));

const team: EvalSuite['team'] = ({ model }) => ({
  agents: [defineAgent({ name: 'solver', instructions: 'Echo the task.', model, maxTurns: 1 })],
});

async function withOut<T>(fn: (out: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-eval-bench-'));
  try {
    return await fn(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One round: returns (minimum time the limit allows) / (first to last admission). */
async function ceilingRound(): Promise<{ ratio: number; requests: number; ms: number }> {
  const n = LIMIT * WINDOWS + 1;
  const admissions: number[] = [];
  const model = answering();
  const timed: Model = {
    id: model.id,
    generate(request) {
      admissions.push(performance.now());
      return model.generate(request);
    },
  };
  await withOut((out) =>
    runEval(
      defineSuite({
        name: 'ceiling',
        dataset: dataset(n),
        team,
        scorers: [includes()],
        // Enough tasks in flight that a full window's worth is always waiting for its lease.
        concurrency: LIMIT * 2,
        limits: [{ key: 'api', windowMs: WINDOW_MS, requests: LIMIT }],
      }),
      { out, model: timed, progress: false },
    ),
  );
  admissions.sort((a, b) => a - b);
  const ms = admissions[admissions.length - 1]! - admissions[0]!;
  const minimum = Math.floor((n - 1) / LIMIT) * WINDOW_MS;
  return { ratio: minimum / ms, requests: admissions.length, ms };
}

async function ceiling(): Promise<void> {
  heading(
    `requests/s against the limiter's ceiling (${LIMIT} per ${WINDOW_MS} ms, zero-latency tasks, real clock)`,
  );
  await ceilingRound(); // warm-up
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await ceilingRound());
  rounds.sort((a, b) => a.ratio - b.ratio);
  const median = rounds[Math.floor(rounds.length / 2)]!;
  figure(
    'achieved',
    `${median.requests} requests in ${median.ms.toFixed(0)} ms = ${((median.requests - 1) / (median.ms / 1000)).toFixed(0)} req/s after the first; the limit allows ${((LIMIT * 1000) / WINDOW_MS).toFixed(0)} req/s`,
  );
  ratio('eval requests/s vs limiter ceiling (real clock)', median.ratio, { min: 0.95 });
}

async function byHand(model: Model, n: number): Promise<void> {
  const clock = systemClock;
  const limiter = createRateLimiter({ clock, rules: [] });
  const tasks = dataset(n);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      const t = createTeam({
        clock,
        state: createSharedState({ clock }),
        limiter,
        bus: createBus({ clock }),
      });
      const spec = await team({ model, clock, signal: new AbortController().signal, task });
      for (const agent of spec.agents)
        if ('kind' in agent) await t.spawn(agent, { name: agent.name });
      await t.run('solver', task.input, { maxMs: 600_000 });
      await t.close();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function overhead(): Promise<void> {
  heading(
    `harness overhead per task: runEval vs the same teams by hand (${OVERHEAD_TASKS} tasks, concurrency ${CONCURRENCY})`,
  );
  const model = answering();
  const suite = defineSuite({
    name: 'overhead',
    dataset: dataset(OVERHEAD_TASKS),
    team,
    scorers: [includes()],
    concurrency: CONCURRENCY,
  });
  const hand = () => byHand(model, OVERHEAD_TASKS);
  // A fresh folder per round, made and removed outside the timing (the harness makes none).
  let out = '';
  const harness = () => runEval(suite, { out, model, progress: false });
  const fresh = async () => {
    if (out !== '') await rm(dirname(out), { recursive: true, force: true });
    out = join(await mkdtemp(join(tmpdir(), 'troupe-eval-bench-')), 'out');
  };
  for (let i = 0; i < WARMUPS; i++) {
    await hand();
    await fresh();
    await harness();
  }
  // Rounds alternate, so the machine's load and the heap's state hit both sides alike; the
  // medians are compared (a round's time moves with whatever GC or neighbour hits it).
  const times = { hand: [] as number[], harness: [] as number[] };
  for (let i = 0; i < OVERHEAD_ROUNDS; i++) {
    for (const [name, fn] of [
      ['hand', hand],
      ['harness', harness],
    ] as const) {
      if (name === 'harness') await fresh();
      collectGarbage();
      const started = performance.now();
      await fn();
      times[name].push(performance.now() - started);
    }
  }
  await rm(dirname(out), { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [h, e] = [median(times.hand), median(times.harness)];
  figure(
    `per task (median of ${OVERHEAD_ROUNDS} rounds)`,
    `by hand (createTeam, spawn, run, close) ${((h * 1000) / OVERHEAD_TASKS).toFixed(1)} µs, runEval (+ scores, fsynced results, summary, report) ${((e * 1000) / OVERHEAD_TASKS).toFixed(1)} µs`,
  );
  ratio('eval harness per task vs teams by hand', e / h, { max: 1.2 });
}

export default async function evalBench(): Promise<void> {
  await ceiling();
  await overhead();
}
