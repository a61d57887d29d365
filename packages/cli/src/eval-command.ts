import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TroupeError } from '@troupe/core';
import {
  compareRuns,
  type EvalSuite,
  type EvalSummary,
  formatComparison,
  type RunEvalOptions,
  runEval,
} from '@troupe/eval';
import { closeProviderPools } from '@troupe/providers';
import { loadTeamScenarioFile } from '@troupe/sim';
import { intFlag, parse, UsageError } from './args.js';
import { modelFromEnv } from './run-command.js';

export const evalUsage = `troupe eval <suite module> --out DIR [--concurrency N] [--budget USD]
            [--timeout-ms N] [--retries N] [--simulate [--scenario s.json] [--seed N]] [--quiet]
troupe eval compare OUT1 OUT2

  Runs a benchmark suite: the module's default export is { name, dataset, team, scorers, ... }
  (see @troupe/eval). Every task's team runs under the suite's one limiter and budget; each
  result is appended to DIR/results.jsonl as it ends (fsynced), with DIR/summary.json and
  DIR/report.html at the end. Running again with the same --out skips finished tasks. The model
  comes from the environment as for \`troupe run\`. Progress goes to stderr, the scores to stdout.
  --simulate rehearses the suite on the simulated clock with @troupe/sim policy models (no model
  calls, no cost): deterministic for a seed, it prints the results' hash.
  \`compare\` prints per-scorer deltas with 95% intervals and the tasks whose score changed.
  Exit 0 when every task has a result, 1 when some did not run (budget, interrupt).`;

/** Imports a suite module (a path or a file: URL) and returns its default export. */
async function loadSuite(specifier: string): Promise<EvalSuite> {
  const url = specifier.startsWith('file:')
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
  const loaded = (await import(url)) as { default?: EvalSuite };
  if (typeof loaded.default !== 'object' || loaded.default === null)
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `${specifier} must export a default suite { name, dataset, team, scorers }`,
    );
  return loaded.default;
}

function dollars(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0))
    throw new UsageError(`--${name} must be a positive number of dollars, got "${value}"`);
  return n;
}

function scoresTable(summary: EvalSummary): string {
  const lines = [
    `${summary.suite}: ${summary.completed}/${summary.tasks} completed, ${summary.failed} failed, ${summary.notRun.length} not run${summary.stoppedBy ? ` (stopped by ${summary.stoppedBy})` : ''}`,
  ];
  for (const [name, s] of Object.entries(summary.scorers))
    lines.push(
      `  ${name.padEnd(24)} ${s.mean.toFixed(3)}  95% CI [${s.ci95[0].toFixed(3)}, ${s.ci95[1].toFixed(3)}]  n=${s.n}`,
    );
  lines.push(
    `  cost $${summary.costUsd.toFixed(4)}, ${summary.tokens.total} tokens, ${summary.requests} requests, lease waits ${(summary.leaseWaitMs / 1000).toFixed(1)} s`,
    `  latency p50 ${Math.round(summary.latencyMs.p50)} ms, p95 ${Math.round(summary.latencyMs.p95)} ms, p99 ${Math.round(summary.latencyMs.p99)} ms`,
  );
  if (summary.simulation)
    lines.push(
      `  simulated ${(summary.simulation.durationMs / 1000).toFixed(1)} s, seed ${summary.simulation.seed}`,
      `hash ${summary.simulation.hash}`,
    );
  return `${lines.join('\n')}\n`;
}

/** `troupe eval`: returns the exit code. */
export async function evalCommand(
  argv: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
): Promise<number> {
  if (argv[0] === 'compare') {
    const paths = argv.slice(1);
    if (paths.length !== 2 || paths.some((p) => p.startsWith('-')))
      throw new UsageError('troupe eval compare takes two output directories');
    io.out.write(formatComparison(await compareRuns(paths[0]!, paths[1]!)));
    return 0;
  }
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      concurrency: { type: 'string' },
      budget: { type: 'string' },
      'timeout-ms': { type: 'string' },
      retries: { type: 'string' },
      simulate: { type: 'boolean' },
      scenario: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const [specifier] = positionals;
  if (specifier === undefined || positionals.length > 1)
    throw new UsageError('troupe eval takes one suite module');
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  if (!values.simulate && (values.scenario !== undefined || values.seed !== undefined))
    throw new UsageError('--scenario and --seed go with --simulate');
  const simulate = values.simulate
    ? {
        ...(values.scenario === undefined
          ? {}
          : { scenario: await loadTeamScenarioFile(values.scenario) }),
        ...(values.seed === undefined ? {} : { seed: intFlag('seed', values.seed, 0) }),
      }
    : undefined;
  const suite = await loadSuite(specifier);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  const budgetUsd = dollars('budget', values.budget);
  const options: RunEvalOptions = {
    out: values.out,
    ...(simulate ? { simulate } : { model: modelFromEnv(io.env) }),
    ...(values.concurrency === undefined
      ? {}
      : { concurrency: intFlag('concurrency', values.concurrency, 1, 1) }),
    ...(budgetUsd === undefined ? {} : { budgetUsd }),
    ...(values['timeout-ms'] === undefined
      ? {}
      : { timeoutMs: intFlag('timeout-ms', values['timeout-ms'], 1, 1) }),
    ...(values.retries === undefined ? {} : { retries: intFlag('retries', values.retries, 0) }),
    progress: values.quiet ? false : io.err,
    signal: stop.signal,
  };
  try {
    const { summary } = await runEval(suite, options);
    io.out.write(scoresTable(summary));
    return summary.notRun.length === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    await closeProviderPools();
  }
}
