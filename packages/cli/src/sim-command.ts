import { isTroupeError } from '@troupe/core';
import {
  closeSimulationPools,
  loadScenarioFile,
  loadTeamScenarioFile,
  parseTeamScenario,
  refactorTeamModulePath,
  refactorTeamScenarioPath,
  type SimulationResult,
  writeSimulation,
} from '@troupe/sim';
import { intFlag, parse, UsageError } from './args.js';
import { Progress } from './progress.js';

export const simUsage = `troupe sim [scenario.json] [--seed N] [--teams N] [--threads N] [--out DIR] [--no-progress]
troupe sim --team team.mjs [--scenario s.json] [--seed N] [--teams N] [--threads N] [--out DIR]
troupe sim --replay DIR [--scenario what-if.json] [--teams N] [--threads N] [--out DIR]

  Runs a team on simulated time and writes events.jsonl, summary.json and report.html into
  --out (default troupe-out/<scenario>-seed<N>). With no scenario it runs the shipped refactor
  team module (refactor-team.mjs with refactor-team.json, as --team does); a scenario file
  runs the built-in refactor engine on it (the shipped one is refactor-200.json).
  --team simulates a team module (the one \`troupe run\` takes) with policy models, stubs and
  faults from --scenario. --replay replays a run recorded with \`troupe run --record DIR\`
  (same hash every time; --scenario adds what-ifs: limits, faults, clones). --teams runs
  that many independent teams; --threads spreads them over worker threads. The log streams
  to disk: memory does not grow with --teams.`;

const pad = (text: string, width: number) => text.padEnd(width);
const num = (n: number) => Math.round(n).toLocaleString('en-US');

const simOptions = {
  seed: { type: 'string' },
  teams: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  team: { type: 'string' },
  replay: { type: 'string' },
  scenario: { type: 'string' },
  'no-progress': { type: 'boolean' },
} as const;

type SimFlags = ReturnType<typeof parse<{ options: typeof simOptions }>>['values'];

/** What to simulate, from the flags: every file is read and validated before anything runs. */
async function simJob(values: SimFlags, positionals: readonly string[]) {
  if (positionals.length > 1) throw new UsageError('troupe sim takes at most one scenario file');
  const { team: module, replay } = values;
  if (module !== undefined && replay !== undefined)
    throw new UsageError('give --team or --replay, not both');
  if ((module !== undefined || replay !== undefined) && positionals.length > 0)
    throw new UsageError('with --team or --replay, give the scenario as --scenario FILE');
  if (module === undefined && replay === undefined && values.scenario !== undefined)
    throw new UsageError(
      '--scenario goes with --team or --replay (a refactor-engine scenario is the positional file)',
    );
  const teamScenario = async (name: string) =>
    values.scenario === undefined
      ? parseTeamScenario({ name })
      : await loadTeamScenarioFile(values.scenario);
  if (replay !== undefined) return { recording: replay, scenario: await teamScenario('replay') };
  if (module !== undefined) return { module, scenario: await teamScenario('team') };
  const file = positionals[0];
  if (file !== undefined) return { scenario: await loadScenarioFile(file) };
  // The default: the shipped refactor team module, simulated as `--team` simulates any module.
  return {
    module: refactorTeamModulePath,
    scenario: await loadTeamScenarioFile(refactorTeamScenarioPath),
  };
}

/** `troupe sim`: returns the exit code. */
export async function simCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: simOptions,
  });
  const job = await simJob(values, positionals);
  const { scenario } = job;
  const seed = intFlag('seed', values.seed, scenario.seed);
  const teams = intFlag('teams', values.teams, 1, 1);
  const threads = intFlag('threads', values.threads, teams > 1 ? 2 : 0);
  const dir = values.out ?? `troupe-out/${scenario.name}-seed${seed}`;
  const progress = new Progress({ enabled: values['no-progress'] !== true });

  progress.update(0, teams, 'teams');
  // runSimulation keeps its worker pools for later calls; this process makes no more, so end
  // the workers now rather than leave the exit to piscina's unref'd idle threads.
  // The log streams to disk team by team: memory does not grow with --teams.
  const { result, files } = await writeSimulation(
    dir,
    {
      ...job,
      seed,
      teams,
      threads,
      onTeamDone: (done: number, total: number) => progress.update(done, total, 'teams'),
    },
    { description: scenario.description },
  ).finally(closeSimulationPools);

  for (const [k, v] of summaryRows(result, files.report)) out.write(`${pad(k, 26)}${v}\n`);
  return 0;
}

/** The table `troupe sim` prints: what ran, how it ended, the totals, the hash, the report. */
function summaryRows(result: SimulationResult, report: string): [string, string][] {
  const { seed, teams, threads } = result;
  const t = result.analysis.totals;
  return [
    [
      'scenario',
      `${result.scenario} (seed ${seed}, ${teams} team${teams === 1 ? '' : 's'}, ${threads || 'no'} worker thread${threads === 1 ? '' : 's'})`,
    ],
    [
      'finished',
      Object.entries(t.finishReasons)
        .map(([r, n]) => `${r} ×${n}`)
        .join(', '),
    ],
    [
      'simulated time',
      `${(t.simulatedMs / 60_000).toFixed(1)} min in ${(result.wallMs / 1000).toFixed(2)} s wall`,
    ],
    ...(t.regions === 0
      ? []
      : [['regions done', `${num(t.regionsDone)} / ${num(t.regions)}`] as [string, string]]),
    ['model calls', `${num(t.modelCalls)} (${num(t.modelFailures)} injected faults)`],
    ['tokens in / out', `${num(t.inputTokens)} / ${num(t.outputTokens)}`],
    ['cost', `$${t.costUsd.toFixed(2)}`],
    ['lease waits', `${num(t.leaseWaits)} (${(t.leaseWaitMs / 1000).toFixed(0)} s in total)`],
    ['claims / conflicts', `${num(t.claimsGranted)} / ${num(t.conflicts)}`],
    ['discoveries / messages', `${num(t.discoveries)} / ${num(t.messages)}`],
    ['restarts / failed agents', `${num(t.agentRestarts)} / ${num(t.agentFailures)}`],
    ['event log sha256', result.hash],
    ['peak RSS', peakRss()],
    ['report', report],
  ];
}

/** The process's peak resident set size (all threads), as `troupe sim` prints it. */
export function peakRss(): string {
  // resourceUsage().maxRSS is in kilobytes.
  return `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
}

/** Exit code for an error thrown by a command: 2 for bad input, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return isTroupeError(error, 'ERR_INVALID_ARGUMENT') || isTroupeError(error, 'ERR_NOT_FOUND')
    ? 2
    : 1;
}
