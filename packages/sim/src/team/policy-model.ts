import {
  type Clock,
  type ContextOptions,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type Rng,
  TroupeError,
} from '@troupe/core';
import type { SimEvent } from '../events.js';
import { sleep } from '../internal/sleep.js';
import type { RecordedModelCall } from '../record/recording.js';
import { faultInjector } from './faults.js';
import { answerWith, type Decision, PolicyDecider } from './policy-decider.js';
import { requestTokens } from './request-tokens.js';
import { isSummaryRequest, summaryAnswer } from './summary-call.js';
import type { PolicyInput, ScriptStep, TeamScenario } from './team-scenario.js';

/** An agent's policy with every default filled in. */
export interface Policy {
  readonly latencyMs: { readonly median: number; readonly p95: number };
  /** No longer drawn: a call's input tokens are measured from its request (see requestTokens). */
  readonly inputTokens: readonly [number, number];
  readonly outputTokens: readonly [number, number];
  readonly answerAfterTurns: readonly [number, number];
  readonly messageProbability: number;
  readonly tools: Readonly<Record<string, number>> | undefined;
  readonly script: readonly ScriptStep[] | undefined;
  readonly inputPricePerMTok: number;
  readonly outputPricePerMTok: number;
  /** The agent's context policy from the scenario, over its definition's (field by field). */
  readonly context: ContextOptions | undefined;
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
    context:
      own.context === undefined && base.context === undefined
        ? undefined
        : // Parsed JSON: optional fields are absent, never present as undefined.
          ({ ...base.context, ...own.context } as ContextOptions),
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

/**
 * The policy model of one simulated agent of a team module: a scripted list of steps, or a
 * stochastic policy (latency, tokens, when to answer, when to message another agent, which of
 * its tools to call, with arguments generated from the tools' JSON Schemas). Faults of the
 * scenario (429, 5xx, timeouts, backend outages) are retried inside the call with backoff on
 * the clock, as a provider client would; a crash fails the call. Every draw comes from the
 * agent's own seeded rng, so runs are deterministic.
 */
export function createPolicyModel(options: PolicyModelOptions): Model {
  const { agent, policy, faults: f, clock, rng, emit, team, calls, replay } = options;
  const { median, p95 } = policy.latencyMs;
  const sigma = median > 0 ? Math.log(Math.max(p95, median) / median) / 1.645 : 0;
  const latency = (): number => {
    if (median <= 0) return 0;
    const u = 1 - rng.next();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    return Math.round(median * Math.exp(sigma * g));
  };
  const failed = (code: string, fault: string) =>
    emit({ t: clock.now(), team, type: 'model.failed', agent, code, fault });
  const faults = faultInjector({ agent, faults: f, clock, rng, failed });
  const decider = new PolicyDecider(options);
  const replayer = replay === undefined ? undefined : new Replayer(options, replay, failed);
  const meanOutput = (policy.outputTokens[0] + policy.outputTokens[1]) / 2;

  return {
    id: `policy:${agent}`,
    estimateTokens: (request) => requestTokens(request) + meanOutput,
    async generate(request): Promise<ModelResponse> {
      const started = clock.now();
      calls.count++;
      await faults(request);
      if (replayer !== undefined) return replayer.next(started, request);
      await sleep(clock, latency(), request.signal);
      // Billed as sent: a context policy that trims the view shows in the input tokens.
      const inputTokens = requestTokens(request);
      let decided: Decision;
      let outputTokens = rng.int(
        Math.round(policy.outputTokens[0]),
        Math.round(policy.outputTokens[1]),
      );
      if (isSummaryRequest(request)) {
        // A compaction's summary call: a summary of bounded size, never a turn of the agent.
        const summary = summaryAnswer(agent, request, outputTokens);
        decided = answerWith(summary.text);
        outputTokens = summary.outputTokens;
      } else {
        decided = decider.decide(request);
      }
      const costUsd =
        Math.round(
          inputTokens * policy.inputPricePerMTok + outputTokens * policy.outputPricePerMTok,
        ) / 1e6;
      answered(options, started, { inputTokens, outputTokens, costUsd });
      return { ...decided, usage: { inputTokens, outputTokens, costUsd } } as ModelResponse;
    },
  };
}

/** Logs one answered call: its latency since `started`, its tokens and cost. */
function answered(
  { clock, emit, team, agent }: PolicyModelOptions,
  started: number,
  usage: { inputTokens: number; outputTokens: number; costUsd: number },
): void {
  emit({
    t: clock.now(),
    team,
    type: 'model.answered',
    agent,
    latencyMs: clock.now() - started,
    ...usage,
  });
}

/** Answers a replay's calls with the recorded exchanges, in order. */
class Replayer {
  #replayed = 0;
  constructor(
    private readonly o: PolicyModelOptions,
    private readonly calls: readonly RecordedModelCall[],
    private readonly failed: (code: string, fault: string) => void,
  ) {}

  async next(started: number, request: ModelRequest): Promise<ModelResponse> {
    const { clock } = this.o;
    const recorded = this.calls[this.#replayed++];
    await sleep(clock, recorded?.latencyMs ?? 0, request.signal);
    if (recorded?.error) {
      this.failed(recorded.error.code, 'recorded');
      throw new TroupeError(recorded.error.code as 'ERR_INTERNAL', recorded.error.message);
    }
    const response = recorded?.response ?? {
      ...answerWith('(the recording ends here)'),
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    };
    const { inputTokens, outputTokens, costUsd = 0 } = response.usage;
    answered(this.o, started, { inputTokens, outputTokens, costUsd });
    return response as ModelResponse;
  }
}
