import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineAgent, isTroupeError, SimulatedClock } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  compareRuns,
  defineSuite,
  type EvalSuite,
  type EvalSummary,
  exact,
  includes,
  jsonSchema,
  modelGraded,
  regex,
  runEval,
  type TaskResult,
} from '../src/index.js';

const dirs: string[] = [];
async function outDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-eval-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Answers "The answer is <n*2>" for input "double <n>", and "wrong" for "double 3". */
const doubler = () =>
  scriptedModel({
    steps: (_request, call) => {
      const n = Number(/double (\d+)/.exec(call.lastUser ?? '')?.[1]);
      return {
        text: n === 3 ? 'wrong' : `The answer is ${n * 2}`,
        usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001 },
      };
    },
  });

function suite(overrides: Partial<EvalSuite> = {}): EvalSuite {
  return defineSuite({
    name: 'doubling',
    dataset: Array.from({ length: 6 }, (_, i) => ({
      id: `t${i}`,
      input: `double ${i}`,
      expected: String(i * 2),
    })),
    team: ({ model }) => ({
      agents: [defineAgent({ name: 'solver', instructions: 'Double the number.', model })],
    }),
    scorers: [includes(), regex(/^The answer is \d+$/, { name: 'shape' })],
    concurrency: 3,
    ...overrides,
  });
}

const readLines = async (dir: string) =>
  (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TaskResult);

describe('runEval', () => {
  it('runs every task, scores it and writes results, summary and report', async () => {
    const out = await outDir();
    const run = await runEval(suite(), { out, model: doubler(), progress: false });
    expect(run.ran).toHaveLength(6);
    const lines = await readLines(out);
    expect(lines.map((l) => l.id).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    const t3 = lines.find((l) => l.id === 't3')!;
    expect(t3.scores.includes!.score).toBe(0);
    expect(lines.find((l) => l.id === 't4')!.scores.includes!.score).toBe(1);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as EvalSummary;
    expect(summary.completed).toBe(6);
    expect(summary.scorers.includes!.mean).toBeCloseTo(5 / 6);
    expect(summary.scorers.includes!.ci95[0]).toBeLessThan(5 / 6);
    expect(summary.costUsd).toBeCloseTo(0.006);
    expect(summary.tokens.total).toBe(90);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h1>doubling</h1>');
    expect(html).not.toMatch(/<script|<link/);
  });

  it('skips the tasks OUT already holds, and cuts off a line a crash left half written', async () => {
    const out = await outDir();
    await runEval(suite({ dataset: suite().dataset.slice(0, 3) as EvalSuite['dataset'] }), {
      out,
      model: doubler(),
      progress: false,
    });
    await writeFile(join(out, 'results.jsonl'), '{"id":"t3","stat', { flag: 'a' });
    const model = doubler();
    const run = await runEval(suite(), { out, model, progress: false });
    expect(run.skipped).toEqual(['t0', 't1', 't2']);
    expect([...run.ran].sort()).toEqual(['t3', 't4', 't5']);
    expect(model.calls).toBe(3);
    const ids = (await readLines(out)).map((l) => l.id);
    expect(ids.sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
  });

  it('refuses duplicate ids before anything runs', async () => {
    const model = doubler();
    const bad = suite({
      dataset: [
        { id: 'a', input: 'x' },
        { id: 'a', input: 'y' },
      ],
    });
    await expect(runEval(bad, { out: await outDir(), model, progress: false })).rejects.toThrow(
      /task id "a" is used twice/,
    );
    expect(model.calls).toBe(0);
  });

  it.each([
    [{ concurrency: 0 }, 'options.concurrency'],
    [{ budgetUsd: -1 }, 'options.budgetUsd'],
    [{ timeoutMs: Number.NaN }, 'options.timeoutMs'],
    [{ retries: 1.5 }, 'options.retries'],
    [{ limits: [{ key: 'a', requests: 0 }] }, 'options.limits[0].requests'],
    [{ concurency: 2 }, 'unknown field "concurency"'],
  ])('refuses a bad option %j naming it', async (bad, name) => {
    const out = await outDir();
    const error = await runEval(suite(), { out, model: doubler(), progress: false, ...bad }).catch(
      (e: unknown) => e,
    );
    expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain(name);
  });

  it('loads a JSONL dataset', async () => {
    const out = await outDir();
    const path = join(out, 'tasks.jsonl');
    await writeFile(
      path,
      '{"id":"a","input":"double 5","expected":"10"}\n\n{"id":"b","input":"double 6","expected":"12"}\n',
    );
    const run = await runEval(suite({ dataset: path }), {
      out: join(out, 'o'),
      model: doubler(),
      progress: false,
    });
    expect(run.summary.scorers.includes!.mean).toBe(1);
  });

  it('a spent budget stops starting tasks and says which ran', async () => {
    const out = await outDir();
    const run = await runEval(suite({ concurrency: 1, budgetUsd: 0.0025 }), {
      out,
      model: doubler(),
      progress: false,
    });
    expect(run.summary.stoppedBy).toBe('budget');
    expect(run.summary.notRun.length).toBeGreaterThan(0);
    expect(run.summary.finished + run.summary.notRun.length).toBe(6);
    expect(run.summary.costUsd).toBeLessThanOrEqual(0.0035);
  });

  it('retries a transient failure', async () => {
    const out = await outDir();
    const model = scriptedModel({
      steps: [{ text: 'The answer is 0' }],
      failures: { at: [0] },
    });
    const run = await runEval(suite({ dataset: [{ id: 'x', input: 'double 0', expected: '0' }] }), {
      out,
      model,
      progress: false,
    });
    expect(run.results[0]!.status).toBe('completed');
    expect(run.results[0]!.attempts).toBe(2);
  });

  it('a task past timeoutMs ends as timeout and scores 0', async () => {
    const out = await outDir();
    const clock = new SimulatedClock(0);
    const model = scriptedModel({ clock, steps: [{ text: 'late' }], latencyMs: 5_000 });
    const running = runEval(
      suite({
        dataset: [{ id: 'slow', input: 'double 1', expected: '2' }],
        timeoutMs: 1_000,
        retries: 0,
      }),
      { out, model, clock, progress: false },
    );
    let settled = false;
    void running.finally(() => {
      settled = true;
    });
    // The caller moves its own simulated clock: to each timer as it is set (bounded loop; the
    // real waits let runEval's file I/O finish).
    for (let i = 0; i < 2_000 && !settled; i++) {
      const next = clock.nextDue();
      if (next === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
      else await clock.advance(next - clock.now());
    }
    const run = await running;
    expect(run.results[0]!.latencyMs).toBe(1_000);
    expect(run.results[0]!.status).toBe('timeout');
    expect(run.results[0]!.scores.includes).toEqual({ score: 0, note: 'task timeout' });
  });

  it('jsonSchema and exact score structured output', async () => {
    const out = await outDir();
    const model = scriptedModel({ steps: [{ text: '{"n":4}' }] });
    const schema = z.object({ n: z.number() });
    const run = await runEval(
      defineSuite({
        name: 'structured',
        dataset: [{ id: 's', input: 'double 2', expected: { n: 4 } }],
        team: ({ model: m }) => ({
          agents: [defineAgent({ name: 'a', instructions: 'JSON', model: m, output: schema })],
        }),
        scorers: [jsonSchema(schema), exact()],
      }),
      { out, model, progress: false },
    );
    expect(run.results[0]!.output).toEqual({ n: 4 });
    expect(run.results[0]!.scores).toEqual({ jsonSchema: { score: 1 }, exact: { score: 1 } });
  });

  it('modelGraded: the judge is a model call under the same limiter, its cost in the task', async () => {
    const out = await outDir();
    const judge = scriptedModel({
      steps: [
        {
          text: '{"score":0.75,"reasoning":"close"}',
          usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.01 },
        },
      ],
    });
    const run = await runEval(
      suite({
        dataset: [{ id: 'j', input: 'double 1', expected: '2' }],
        scorers: [modelGraded({ rubric: 'Is it right?', model: judge })],
      }),
      { out, model: doubler(), progress: false },
    );
    expect(run.results[0]!.scores.modelGraded).toEqual({ score: 0.75, note: 'close' });
    expect(run.results[0]!.costUsd).toBeCloseTo(0.011);
    expect(judge.calls).toBe(1);
  });

  it('compareRuns: per-scorer deltas and the tasks whose score changed', async () => {
    const a = await outDir();
    const b = await outDir();
    await runEval(suite(), { out: a, model: doubler(), progress: false });
    const fixed = scriptedModel({
      steps: (_r, call) => ({
        text: `The answer is ${Number(/(\d+)/.exec(call.lastUser ?? '')?.[1]) * 2}`,
      }),
    });
    await runEval(suite(), { out: b, model: fixed, progress: false });
    const c = await compareRuns(a, b);
    const inc = c.scorers.find((s) => s.scorer === 'includes')!;
    expect(inc.delta.mean).toBeCloseTo(1 / 6);
    expect(c.changed).toEqual(
      expect.arrayContaining([{ id: 't3', scorer: 'includes', a: 0, b: 1 }]),
    );
  });

  it('a rehearsal is deterministic for a seed and different for another', async () => {
    const go = async (seed: number) =>
      (
        await runEval(suite({ limits: [{ key: 'api', windowMs: 1_000, requests: 2 }] }), {
          out: await outDir(),
          progress: false,
          simulate: { seed, scenario: { policy: { answerAfterTurns: [1, 1] } } },
        })
      ).summary;
    const [one, two, other] = [await go(1), await go(1), await go(2)];
    expect(one.completed).toBe(6);
    expect(one.simulation!.hash).toBe(two.simulation!.hash);
    expect(other.simulation!.hash).not.toBe(one.simulation!.hash);
    // 6 single-call tasks at 2 requests a second: at least 2 s of simulated time.
    expect(one.simulation!.durationMs).toBeGreaterThanOrEqual(2_000);
  });

  it('an abort stops starting tasks, cancels those running, and the next run finishes them', async () => {
    const out = await outDir();
    const clock = new SimulatedClock(0);
    const slow = scriptedModel({
      clock,
      latencyMs: 1_000,
      steps: (_r, call) => ({
        text: `The answer is ${Number(/(\d+)/.exec(call.lastUser ?? '')?.[1]) * 2}`,
      }),
    });
    const stop = new AbortController();
    const running = runEval(suite({ concurrency: 2 }), {
      out,
      model: slow,
      clock,
      signal: stop.signal,
      progress: false,
    });
    let settled = false;
    void running.finally(() => {
      settled = true;
    });
    // Bounded: move the clock to each timer; abort once two tasks have finished.
    for (let i = 0; i < 2_000 && !settled; i++) {
      if (clock.now() >= 1_500) stop.abort();
      const next = clock.nextDue();
      // Stop at 1.5 s on the way: t0 and t1 done, t2 and t3 halfway.
      const to = next === undefined || stop.signal.aborted ? next : Math.min(next, 1_500);
      if (to === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
      else await clock.advance(to - clock.now());
    }
    const first = await running;
    expect(first.summary.stoppedBy).toBe('abort');
    expect(first.results.filter((r) => r.status === 'completed').map((r) => r.id)).toEqual([
      't0',
      't1',
    ]);
    expect(first.results.filter((r) => r.status === 'cancelled')).toHaveLength(2);
    const again = await runEval(suite(), { out, model: doubler(), progress: false });
    expect(again.skipped).toEqual(['t0', 't1']);
    expect(again.summary).toMatchObject({ completed: 6, notRun: [] });
  });

  it('a rehearsal grades with a policy judge under the suite limiter, free of real calls', async () => {
    const judge = scriptedModel({ steps: [{ text: '{"score":1,"reasoning":"x"}' }] });
    const run = await runEval(suite({ scorers: [modelGraded({ rubric: 'Right?' }), includes()] }), {
      out: await outDir(),
      progress: false,
      simulate: { seed: 3 },
    });
    expect(judge.calls).toBe(0);
    for (const r of run.results) {
      const { score } = r.scores.modelGraded!;
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      // The team's call and the judge's, both priced by the policy.
      expect(r.usage.requests).toBe(2);
      expect(r.costUsd).toBeGreaterThan(0);
    }
  });
});
