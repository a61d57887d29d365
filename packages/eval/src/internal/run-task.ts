import {
  type AgentDefinition,
  type AgentOptions,
  type Clock,
  createBus,
  createSharedState,
  createTeam,
  defineAgent,
  isTroupeError,
  type LimiterBackend,
  type Model,
  type Team,
  TroupeError,
  type Usage,
} from '@troupe/core';
import type { ResolvedSuite } from '../suite.js';
import type {
  EvalTask,
  EvalTeamSpec,
  ScorerEnv,
  TaskResult,
  TaskRun,
  TaskStatus,
} from '../types.js';
import { scoreTask } from './score-task.js';
import { addUsage, emptyUsage } from './usage.js';

/** Error codes of a failed run worth another attempt: the fault was the provider's or the wire's. */
const TRANSIENT = new Set([
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_PROVIDER_RATE_LIMITED',
  'ERR_TIMEOUT',
  'ERR_BACKEND_UNAVAILABLE',
]);

const TASK_ENDED = new TroupeError('ERR_ABORTED', 'the task ended');

/** What every task of one suite run shares. */
export interface TaskServices {
  readonly suite: ResolvedSuite;
  readonly clock: Clock;
  readonly limiter: LimiterBackend;
  readonly limiterKeys: readonly string[];
  readonly model: Model;
  readonly signal: AbortSignal;
  /** Teams of the tasks in flight: the suite's abort closes them (one listener for all). */
  readonly teams: Set<Team>;
  /** In a rehearsal: the agents' definitions with their policy models and stubbed tools. */
  readonly simulate?: (
    definition: AgentDefinition,
    agent: string,
    task: EvalTask,
  ) => AgentDefinition;
  readonly judgeModel: (task: EvalTask, name: string) => Model;
}

interface Attempt {
  readonly leaseWaitMs: number;
  readonly status: TaskStatus;
  readonly run: TaskRun;
  readonly output: unknown;
  readonly usage: Usage;
  readonly error?: { code: string; message: string };
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (isTroupeError(error)) return { code: error.code, message: error.message };
  return { code: 'ERR_TASK', message: error instanceof Error ? error.message : String(error) };
}

async function spawnSpec(
  team: Team,
  spec: EvalTeamSpec,
  task: EvalTask,
  simulate: TaskServices['simulate'],
): Promise<string[]> {
  if (!spec || !Array.isArray(spec.agents) || spec.agents.length === 0)
    throw new Error('the team factory returned no agents');
  const names: string[] = [];
  for (const entry of spec.agents) {
    const { definition, name, role } =
      'kind' in entry ? { definition: entry, name: entry.name, role: undefined } : entry;
    const source = simulate ? simulate(definition, name, task) : definition;
    await team.spawn(source, role === undefined ? { name } : { name, role });
    names.push(name);
  }
  return names;
}

function teamUsage(team: Team): Usage {
  const total = emptyUsage();
  for (const agent of team.agents()) addUsage(total, agent.usage);
  return total;
}

/** One attempt: a fresh team from the factory, the task's input as its message, until idle. */
async function attempt(s: TaskServices, task: EvalTask, startedAt: number): Promise<Attempt> {
  const { clock, suite } = s;
  const ended = new AbortController();
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: s.limiter,
    bus: createBus({ clock }),
    // No rule at all: agents take leases on their model's id, as in a team of their own.
    ...(s.limiterKeys.length > 0 ? { limiterKeys: s.limiterKeys } : {}),
    leaseTimeoutMs: suite.timeoutMs,
  });
  s.teams.add(team);
  if (s.signal.aborted) void team.close();
  let leaseWaitMs = 0;
  const offWaits = team.on('lease.waited', (e) => {
    leaseWaitMs += e.waitedMs;
  });
  try {
    const spec = await suite.team({ model: s.model, clock, signal: ended.signal, task });
    const names = await spawnSpec(team, spec, task, s.simulate);
    const to = spec.to ?? names[0]!;
    if (!names.includes(to))
      throw new Error(`the team has no agent "${to}" (agents: ${names.join(', ')})`);
    const message = typeof task.input === 'string' ? task.input : JSON.stringify(task.input);
    // A task runs until the team is idle. With one agent that is its reply: its mailbox held
    // only the task, and no one else can write to it.
    // (Also: `until: 'idle'` can miss the idle moment after a lease wait on a simulated clock
    // and sit until maxMs; reported to core. A one-agent team does not depend on it.)
    const until = names.length === 1 ? 'reply' : 'idle';
    const outcome = await team.run(to, message, { until, maxMs: suite.timeoutMs });
    const reply = outcome.reply;
    const status: TaskStatus =
      outcome.status === 'completed' ? (reply?.status ?? 'failed') : outcome.status;
    const usage = teamUsage(team);
    const run: TaskRun = {
      status,
      text: reply?.text ?? '',
      answers: outcome.answers,
      turns: outcome.turns,
      usage,
      latencyMs: clock.now() - startedAt,
    };
    const error =
      reply?.error ??
      (status === 'timeout'
        ? { code: 'ERR_TIMEOUT', message: `the task ran past timeoutMs (${suite.timeoutMs} ms)` }
        : status === 'max_turns_total'
          ? { code: 'ERR_MAX_TURNS', message: 'the team used its model calls' }
          : undefined);
    return {
      leaseWaitMs,
      status,
      run,
      output: reply?.output ?? reply?.text ?? '',
      usage,
      ...(error ? { error } : {}),
    };
  } catch (error) {
    const usage = teamUsage(team);
    const run: TaskRun = {
      status: 'failed',
      text: '',
      answers: {},
      turns: 0,
      usage,
      latencyMs: clock.now() - startedAt,
    };
    return { leaseWaitMs, status: 'failed', run, output: '', usage, error: errorInfo(error) };
  } finally {
    offWaits();
    s.teams.delete(team);
    await team.close();
    // A made reason: aborting without one builds a DOMException with its stack, per task.
    ended.abort(TASK_ENDED);
  }
}

function transient(a: Attempt): boolean {
  if (a.status === 'rate_limited') return true;
  return a.status === 'failed' && a.error !== undefined && TRANSIENT.has(a.error.code);
}

/**
 * Runs one task to its result: attempts (a transient failure is tried again, up to the suite's
 * `retries`), then the scorers. Usage and cost add up over attempts and judges.
 */
export async function runTask(s: TaskServices, task: EvalTask): Promise<TaskResult> {
  const { clock, suite } = s;
  const startedAt = clock.now();
  const usage = emptyUsage();
  let last: Attempt;
  let attempts = 0;
  let leaseWaitMs = 0;
  for (;;) {
    attempts++;
    last = await attempt(s, task, startedAt);
    addUsage(usage, last.usage);
    leaseWaitMs += last.leaseWaitMs;
    if (!transient(last) || attempts > suite.retries || s.signal.aborted) break;
  }
  const endedAt = clock.now();
  const scorerEnv: ScorerEnv = {
    model: s.model,
    clock,
    limiter: s.limiter,
    limiterKeys: s.limiterKeys,
    signal: s.signal,
    judgeModel: (name) => s.judgeModel(task, name),
    leaseTimeoutMs: suite.timeoutMs,
  };
  const scored = await scoreTask(suite.scorers, { task, attempt: last, env: scorerEnv });
  addUsage(usage, scored.usage);
  return {
    id: task.id,
    status: last.status,
    output: last.output,
    scores: scored.scores,
    usage,
    costUsd: usage.costUsd,
    latencyMs: endedAt - startedAt,
    leaseWaitMs,
    attempts,
    startedAt,
    endedAt,
    ...(last.error ? { error: last.error } : {}),
  };
}

/** A definition with another model and tools (the rehearsal's), everything else kept. */
export function withModel(
  definition: AgentDefinition,
  model: Model,
  tools: AgentDefinition['tools'],
): AgentDefinition {
  const { kind: _kind, output, ...own } = definition;
  const defined = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
  // A definition holds its output as a spec; defineAgent takes the zod schema and retries.
  const structured = output ? { output: output.schema, outputRetries: output.retries } : {};
  return defineAgent({ ...(defined as unknown as AgentOptions), ...structured, model, tools });
}
