import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  type Model,
  systemClock,
  type TeamRunResult,
} from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible, type Pricing } from '@troupe/providers';
import { createRecorder } from '@troupe/sim';
import { approveMode, decideApprovals } from './approvals.js';
import { parse, UsageError } from './args.js';
import { loadTeamModule, spawnTeamModule, type TeamModule } from './team-module.js';

export const runUsage = `troupe run <team module> [--message TEXT] [--to AGENT] [--quiet] [--record DIR]
                 [--max-turns-total N] [--timeout MS] [--price-in USD] [--price-out USD]
                 [--approve all|none]

  Runs a live team against a real model until the whole team is idle: the task goes to one
  agent (--to, else the module's \`to\`, else the first), and every message the agents send
  each other runs the agent it is for. The module's default export is a function
  ({ model, clock, signal }) => { agents, task?, to?, limits? } where agents are defineAgent()
  definitions (or { definition, name, role }). The model comes from the environment:
    TROUPE_PROVIDER   openai | anthropic (default: anthropic when ANTHROPIC_API_KEY is set)
    TROUPE_MODEL      the model name (required)
    OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1)
    ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (default https://api.anthropic.com)
  Every agent's model calls take a lease on the limiter key \`model\` (unless its definition
  names its own limiterKeys): \`limits: [{ key: 'model', ... }]\` limits them all. A rule whose
  key no agent uses is reported. --price-in / --price-out (USD per million input / output
  tokens, or TROUPE_PRICE_IN / TROUPE_PRICE_OUT) price the calls, so a \`budgetUsd\` rule trips.
  Bounds: --max-turns-total (model calls across the team, default 200) and --timeout
  (milliseconds, default 600000).
  Events go to stderr. Stdout gets the addressed agent's last answer, then every other agent's
  last answer under a "--- name ---" line. Exit 0 when the team went idle with the task answered,
  1 otherwise (a failed run, a bound reached).
  --record DIR records every model exchange and tool result for \`troupe sim --replay DIR\`.
  Tool calls that need approval (defineTool({ needsApproval })): when stdin is a terminal each
  one is asked about (y/n, with the tool and its arguments); --approve all approves them all,
  --approve none rejects them all. Without a terminal and without --approve they are rejected
  with the reason "not approved (no terminal)", which the model sees as the call's result.`;

/** The limiter key every agent of \`troupe run\` takes its leases on (unless it names its own). */
export const RUN_LIMIT_KEY = 'model';
const DEFAULT_MAX_TURNS_TOTAL = 200;
const DEFAULT_TIMEOUT_MS = 600_000;

export type { TeamModule } from './team-module.js';

/** A positive number from a flag or the environment; anything else is a usage error. */
function positive(value: string | undefined, what: string, integer = false): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0 && (!integer || Number.isSafeInteger(n))))
    throw new UsageError(
      `${what} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`,
    );
  return n;
}

/** Pricing from --price-in/--price-out (or the environment), when either is given. */
function pricingFrom(
  values: { 'price-in'?: string | undefined; 'price-out'?: string | undefined },
  env: NodeJS.ProcessEnv,
): Pricing | undefined {
  const input = positive(values['price-in'] ?? env.TROUPE_PRICE_IN, '--price-in');
  const output = positive(values['price-out'] ?? env.TROUPE_PRICE_OUT, '--price-out');
  if (input === undefined && output === undefined) return undefined;
  return { inputPerMTok: input ?? 0, outputPerMTok: output ?? 0 };
}

/** Builds the model the environment describes; a missing setting is a usage error. */
export function modelFromEnv(env: NodeJS.ProcessEnv, pricing?: Pricing): Model {
  const provider = env.TROUPE_PROVIDER ?? (env.ANTHROPIC_API_KEY ? 'anthropic' : 'openai');
  const model = env.TROUPE_MODEL;
  if (!model) throw new UsageError('set TROUPE_MODEL to the model name');
  if (provider === 'anthropic') {
    const apiKey = env.ANTHROPIC_API_KEY;
    if (!apiKey) throw new UsageError('set ANTHROPIC_API_KEY for TROUPE_PROVIDER=anthropic');
    return anthropic({
      apiKey,
      model,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
      ...(pricing === undefined ? {} : { pricing }),
    });
  }
  if (provider === 'openai') {
    const apiKey = env.OPENAI_API_KEY ?? '';
    const baseURL = env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
    if (!apiKey && !env.OPENAI_BASE_URL)
      throw new UsageError('set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)');
    return openaiCompatible({
      baseURL,
      apiKey,
      model,
      ...(pricing === undefined ? {} : { pricing }),
    });
  }
  throw new UsageError(`TROUPE_PROVIDER must be openai or anthropic, got "${provider}"`);
}

/** `troupe run`: returns the exit code. */
export async function runCommand(
  argv: string[],
  io: {
    out: NodeJS.WritableStream;
    err: NodeJS.WritableStream;
    env: NodeJS.ProcessEnv;
    /** Where approvals are asked (default: process.stdin, asked only when it is a terminal). */
    in?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  },
): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      message: { type: 'string' },
      to: { type: 'string' },
      quiet: { type: 'boolean' },
      record: { type: 'string' },
      'max-turns-total': { type: 'string' },
      timeout: { type: 'string' },
      'price-in': { type: 'string' },
      'price-out': { type: 'string' },
      approve: { type: 'string' },
    },
  });
  const input = io.in ?? process.stdin;
  const approvals = approveMode(values.approve, input.isTTY === true);
  const maxTurnsTotal =
    positive(values['max-turns-total'], '--max-turns-total', true) ?? DEFAULT_MAX_TURNS_TOTAL;
  const maxMs = positive(values.timeout, '--timeout') ?? DEFAULT_TIMEOUT_MS;
  const [specifier] = positionals;
  if (specifier === undefined || positionals.length > 1)
    throw new UsageError('troupe run takes one team module');
  const model = modelFromEnv(io.env, pricingFrom(values, io.env));
  // Aborted when the command ends: modules close what they opened with it (MCP connections).
  const ended = new AbortController();
  const loaded = await loadTeamModule(specifier, {
    model,
    clock: systemClock,
    signal: ended.signal,
  });
  // --record DIR: every model exchange and tool result, for `troupe sim --replay DIR`.
  const recorder =
    values.record === undefined
      ? undefined
      : await createRecorder(values.record, { module: specifier });
  const spec = recorder?.wrap(loaded) ?? loaded;
  const message = values.message ?? spec.task;
  if (!message) {
    ended.abort();
    throw new UsageError('give the team a task: --message TEXT, or `task` in the module');
  }

  const clock = systemClock;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: spec.limits ?? [] }),
    bus: createBus({ clock }),
    limiterKeys: [RUN_LIMIT_KEY],
  });
  let stopApprovals = () => {};
  try {
    const names = await spawnTeamModule(team, spec);
    const to = values.to ?? spec.to ?? names[0]!;
    if (!names.includes(to))
      throw new UsageError(`no agent named "${to}" (agents: ${names.join(', ')})`);
    let unsubscribe = () => {};
    if (values.quiet !== true) {
      unsubscribe = team.on('*', (e) => {
        if (e.type === 'agent.state' || e.type === 'events.dropped') return;
        const { type, at, ...rest } = e;
        io.err.write(`${new Date(at).toISOString()} ${type} ${JSON.stringify(rest)}\n`);
      });
    }
    reportUnusedLimits(spec, io.err);
    stopApprovals = decideApprovals(team, approvals, values.approve !== undefined, {
      input,
      err: io.err,
    });
    const outcome = await team.run(to, message, { until: 'idle', maxMs, maxTurnsTotal });
    // The run's own events end here; a supervisor restart after a failure is noise.
    unsubscribe();
    return report(outcome, to, names, { maxMs, maxTurnsTotal }, io);
  } finally {
    stopApprovals();
    await team.close();
    await recorder?.close({ task: message, to: values.to ?? spec.to });
    ended.abort();
    await closeProviderPools();
  }
}

/** Says which limit rules no agent's calls will ever meet (a misspelt key limits nothing). */
function reportUnusedLimits(spec: TeamModule, err: NodeJS.WritableStream): void {
  const used = new Set<string>();
  for (const entry of spec.agents) {
    const definition = 'kind' in entry ? entry : entry.definition;
    for (const key of definition.limiterKeys ?? [RUN_LIMIT_KEY]) used.add(key);
  }
  for (const rule of spec.limits ?? []) {
    if (!used.has(rule.key)) {
      err.write(
        `troupe run: the limit on "${rule.key}" applies to no agent (agents take leases on: ${[...used].join(', ')})\n`,
      );
    }
  }
}

/** Prints the answers; the exit code says whether the team finished with the task answered. */
function report(
  outcome: TeamRunResult,
  to: string,
  names: readonly string[],
  bounds: { readonly maxMs: number; readonly maxTurnsTotal: number },
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): number {
  const { reply } = outcome;
  // The addressed agent's last answer first (a failed run has none: stdout stays empty).
  const last = outcome.answers[to];
  if (last !== undefined && last !== '') io.out.write(`${last}\n`);
  for (const agent of names) {
    const text = outcome.answers[agent];
    if (agent !== to && text !== undefined && text !== '')
      io.out.write(`--- ${agent} ---\n${text}\n`);
  }
  if (outcome.status === 'timeout') {
    io.err.write(`run stopped: the team was not idle after --timeout ${bounds.maxMs} ms\n`);
    return 1;
  }
  if (outcome.status === 'max_turns_total') {
    io.err.write(
      `run stopped: --max-turns-total ${bounds.maxTurnsTotal} model calls reached before the team was idle\n`,
    );
    return 1;
  }
  if (reply === undefined || reply.status !== 'completed') {
    const why = reply?.error ? `: ${reply.error.code} ${reply.error.message}` : '';
    io.err.write(`run ${reply?.status ?? 'unanswered'}${why}\n`);
    return 1;
  }
  return 0;
}
