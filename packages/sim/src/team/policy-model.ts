import {
  type Clock,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type Rng,
  type ToolCall,
  TroupeError,
} from '@troupe/core';
import type { SimEvent } from '../events.js';
import type { RecordedModelCall } from '../record/recording.js';
import { faultInjector, sleep } from './faults.js';
import { argsFromSchema } from './json-args.js';
import type { PolicyInput, ScriptStep, TeamScenario } from './team-scenario.js';

/** An agent's policy with every default filled in. */
export interface Policy {
  readonly latencyMs: { readonly median: number; readonly p95: number };
  readonly inputTokens: readonly [number, number];
  readonly outputTokens: readonly [number, number];
  readonly answerAfterTurns: readonly [number, number];
  readonly messageProbability: number;
  readonly tools: Readonly<Record<string, number>> | undefined;
  readonly script: readonly ScriptStep[] | undefined;
  readonly inputPricePerMTok: number;
  readonly outputPricePerMTok: number;
}

/** The policy of `agent`: its own entry over the scenario's default over the built-in one. */
export function policyFor(scenario: TeamScenario, agent: string): Policy {
  const own: PolicyInput = scenario.agents[agent] ?? {};
  const base = scenario.policy;
  return {
    latencyMs: own.latencyMs ?? base.latencyMs ?? { median: 800, p95: 3_000 },
    inputTokens: own.inputTokens ?? base.inputTokens ?? [500, 3_000],
    outputTokens: own.outputTokens ?? base.outputTokens ?? [50, 500],
    answerAfterTurns: own.answerAfterTurns ?? base.answerAfterTurns ?? [2, 5],
    messageProbability: own.messageProbability ?? base.messageProbability ?? 0.2,
    tools: own.tools ?? base.tools,
    script: own.script ?? base.script,
    inputPricePerMTok: own.inputPricePerMTok ?? base.inputPricePerMTok ?? 3,
    outputPricePerMTok: own.outputPricePerMTok ?? base.outputPricePerMTok ?? 15,
  };
}

export interface PolicyModelOptions {
  readonly agent: string;
  readonly policy: Policy;
  /** The other agents of the team, whom a turn may message. */
  readonly others: readonly string[];
  /** The agent's own tools (not the team's), the default choice of a tool turn. */
  readonly ownTools: readonly string[];
  readonly faults: TeamScenario['faults'];
  readonly clock: Clock;
  readonly rng: Rng;
  readonly emit: (event: SimEvent) => void;
  readonly team: number;
  /** Counts every model call of the team (for the stopping rule). */
  readonly calls: { count: number };
  /**
   * Replay: answer with these recorded exchanges in order (their latency on the clock, their
   * tokens and cost) instead of the policy. Injected faults still come first, so a what-if
   * with faults retries and then gets the same recorded answer.
   */
  readonly replay?: readonly RecordedModelCall[];
}

/** Turns of the current run so far: assistant messages since the last user message. */
function turnInRun(request: ModelRequest): number {
  let n = 0;
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const role = request.messages[i]!.role;
    if (role === 'user') break;
    if (role === 'assistant') n++;
  }
  return n;
}

/**
 * The policy model of one simulated agent of a team module: a scripted list of steps, or a
 * stochastic policy (latency, tokens, when to answer, when to message another agent, which of
 * its tools to call, with arguments generated from the tools' JSON Schemas). Faults of the
 * scenario (429, 5xx, timeouts, backend outages) are retried inside the call with backoff on
 * the clock, as a provider client would; a crash fails the call. Every draw comes from the
 * agent's own seeded rng, so runs are deterministic.
 */
export function createPolicyModel(options: PolicyModelOptions): Model {
  const {
    agent,
    policy,
    others,
    ownTools,
    faults: f,
    clock,
    rng,
    emit,
    team,
    calls,
    replay,
  } = options;
  let replayed = 0;
  const { median, p95 } = policy.latencyMs;
  const sigma = median > 0 ? Math.log(Math.max(p95, median) / median) / 1.645 : 0;
  const draw = ([min, max]: readonly [number, number]) => rng.int(Math.round(min), Math.round(max));
  let answerAt = 0;
  let step = 0;

  const latency = (): number => {
    if (median <= 0) return 0;
    const u = 1 - rng.next();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    return Math.round(median * Math.exp(sigma * g));
  };
  const failed = (code: string, fault: string) =>
    emit({ t: clock.now(), team, type: 'model.failed', agent, code, fault });

  const faults = faultInjector({ agent, faults: f, clock, rng, failed });

  const call = (name: string, args: unknown, i = 0): ToolCall => ({
    id: `${agent}-${calls.count}-${i}`,
    name,
    arguments: args,
  });
  const answer = (text: string) => ({ text, toolCalls: [] as ToolCall[], stopReason: 'end' });
  const tools = (calls: ToolCall[]) => ({ text: '', toolCalls: calls, stopReason: 'tool_calls' });

  function scripted(request: ModelRequest, script: readonly ScriptStep[]) {
    const next = script[step];
    if (next === undefined) return answer('Done.');
    step++;
    if ('answer' in next) return answer(next.answer);
    if ('message' in next)
      return tools([call('post_message', { to: next.to, body: next.message })]);
    const spec = request.tools.find((t) => t.name === next.tool);
    return tools([
      call(next.tool, next.args ?? (spec ? argsFromSchema(spec.parameters, rng) : {})),
    ]);
  }

  function stochastic(request: ModelRequest) {
    const turn = turnInRun(request);
    if (turn === 0) answerAt = draw(policy.answerAfterTurns);
    if (turn + 1 >= answerAt) return answer(`${agent}: done after ${turn + 1} turns.`);
    const available = new Set(request.tools.map((t) => t.name));
    if (
      others.length > 0 &&
      available.has('post_message') &&
      rng.next() < policy.messageProbability
    ) {
      const to = others[rng.int(0, others.length - 1)]!;
      return tools([
        call('post_message', { to, body: `${agent} to ${to}: progress at turn ${turn + 1}` }),
      ]);
    }
    const weights = Object.entries(
      policy.tools ?? Object.fromEntries(ownTools.map((t) => [t, 1])),
    ).filter(([name, w]) => w > 0 && available.has(name));
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) return answer(`${agent}: nothing to call.`);
    // A weighted pick: the first tool whose cumulative weight passes the roll.
    let roll = rng.next() * total;
    let name = weights[weights.length - 1]![0];
    for (const [candidate, w] of weights) {
      roll -= w;
      if (roll < 0) {
        name = candidate;
        break;
      }
    }
    const spec = request.tools.find((t) => t.name === name)!;
    return tools([call(name, argsFromSchema(spec.parameters, rng))]);
  }

  async function replayCall(started: number, request: ModelRequest): Promise<ModelResponse> {
    const recorded = replay![replayed++];
    await sleep(clock, recorded?.latencyMs ?? 0, request.signal);
    if (recorded?.error) {
      failed(recorded.error.code, 'recorded');
      throw new TroupeError(recorded.error.code as 'ERR_INTERNAL', recorded.error.message);
    }
    const response = recorded?.response ?? {
      ...answer('(the recording ends here)'),
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    };
    const { inputTokens, outputTokens } = response.usage;
    emit({
      t: clock.now(),
      team,
      type: 'model.answered',
      agent,
      latencyMs: clock.now() - started,
      inputTokens,
      outputTokens,
      costUsd: response.usage.costUsd ?? 0,
    });
    return response as ModelResponse;
  }

  return {
    id: `policy:${agent}`,
    estimateTokens: () =>
      (policy.inputTokens[0] +
        policy.inputTokens[1] +
        policy.outputTokens[0] +
        policy.outputTokens[1]) /
      2,
    async generate(request): Promise<ModelResponse> {
      const started = clock.now();
      calls.count++;
      await faults(request);
      if (replay !== undefined) return replayCall(started, request);
      await sleep(clock, latency(), request.signal);
      const decided = policy.script ? scripted(request, policy.script) : stochastic(request);
      const inputTokens = draw(policy.inputTokens);
      const outputTokens = draw(policy.outputTokens);
      const costUsd =
        Math.round(
          inputTokens * policy.inputPricePerMTok + outputTokens * policy.outputPricePerMTok,
        ) / 1e6;
      emit({
        t: clock.now(),
        team,
        type: 'model.answered',
        agent,
        latencyMs: clock.now() - started,
        inputTokens,
        outputTokens,
        costUsd,
      });
      return { ...decided, usage: { inputTokens, outputTokens, costUsd } } as ModelResponse;
    },
  };
}
