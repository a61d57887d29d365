import {
  type AnyTool,
  type Clock,
  createRng,
  defineTool,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type Rng,
} from '@troupe/core';
import { argsFromSchema, type TeamScenario } from '@troupe/sim';

// The rehearsal's stand-ins: a policy model per agent of a task and stubs for its tools. They
// follow a @troupe/sim team scenario's policy (latency, tokens, turns before the answer, tool
// weights, prices) and stubs; every draw comes from an rng seeded by (seed, task, agent).

type PolicyInput = TeamScenario['policy'];

function pick<K extends keyof PolicyInput>(scenario: TeamScenario, agent: string, key: K) {
  return scenario.agents[agent]?.[key] ?? scenario.policy[key];
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
 * The policy model of one simulated agent (or judge). A turn before the answer calls one of
 * `ownTools` (weighted by the policy's `tools`, else equally); with none, the agent answers.
 */
export function policyModel(
  scenario: TeamScenario,
  agent: string,
  ownTools: readonly string[],
  clock: Clock,
  rng: Rng,
): Model {
  const { median, p95 } = pick(scenario, agent, 'latencyMs') ?? { median: 800, p95: 3_000 };
  const inputTokens = pick(scenario, agent, 'inputTokens') ?? [500, 3_000];
  const outputTokens = pick(scenario, agent, 'outputTokens') ?? [50, 500];
  const answerAfter = pick(scenario, agent, 'answerAfterTurns') ?? [2, 5];
  const weights = pick(scenario, agent, 'tools');
  const inPrice = pick(scenario, agent, 'inputPricePerMTok') ?? 3;
  const outPrice = pick(scenario, agent, 'outputPricePerMTok') ?? 15;
  const sigma = median > 0 ? Math.log(Math.max(p95, median) / median) / 1.645 : 0;
  const draw = ([min, max]: readonly [number, number]) => rng.int(Math.round(min), Math.round(max));
  let answerAt = 0;
  let calls = 0;
  const latency = (): number => {
    if (median <= 0) return 0;
    const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return Math.round(median * Math.exp(sigma * g));
  };
  const decide = (request: ModelRequest) => {
    const turn = turnInRun(request);
    if (turn === 0) answerAt = draw(answerAfter);
    const format = request.responseFormat;
    const choices = request.tools
      .map(
        (t) =>
          [t.name, weights ? (weights[t.name] ?? 0) : ownTools.includes(t.name) ? 1 : 0] as const,
      )
      .filter(([, w]) => w > 0);
    if (turn + 1 >= answerAt || choices.length === 0) {
      const text = format
        ? JSON.stringify(argsFromSchema(format.schema, rng))
        : `${agent}: done after ${turn + 1} turns.`;
      return { text, toolCalls: [], stopReason: 'end' as const };
    }
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let roll = rng.next() * total;
    let name = choices[choices.length - 1]?.[0];
    for (const [candidate, w] of choices) {
      roll -= w;
      if (roll < 0) {
        name = candidate;
        break;
      }
    }
    const spec = request.tools.find((t) => t.name === name);
    if (spec === undefined)
      return { text: `${agent}: nothing to call.`, toolCalls: [], stopReason: 'end' as const };
    const call = {
      id: `${agent}-${++calls}`,
      name: spec.name,
      arguments: argsFromSchema(spec.parameters, rng),
    };
    return { text: '', toolCalls: [call], stopReason: 'tool_calls' as const };
  };
  return {
    id: `policy:${agent}`,
    estimateTokens: () => (inputTokens[0] + inputTokens[1] + outputTokens[0] + outputTokens[1]) / 2,
    async generate(request): Promise<ModelResponse> {
      await sleep(clock, latency(), request.signal);
      const decided = decide(request);
      const used = { inputTokens: draw(inputTokens), outputTokens: draw(outputTokens) };
      const costUsd = Math.round(used.inputTokens * inPrice + used.outputTokens * outPrice) / 1e6;
      return { ...decided, usage: { ...used, costUsd } };
    },
  };
}

/** Every tool replaced by its stub (a rehearsal touches nothing): the scenario's, else `'ok'`. */
export function stubTools(
  tools: readonly AnyTool[],
  scenario: TeamScenario,
  clock: Clock,
  seed: string,
): AnyTool[] {
  const rng = createRng(`${seed}:tools`);
  return tools.map((tool) => {
    const stub = scenario.stubs[tool.name] ?? { result: 'ok', latencyMs: 0, errorProbability: 0 };
    return defineTool({
      name: tool.name,
      description: tool.description,
      input: tool.input,
      run: async () => {
        await sleep(clock, stub.latencyMs);
        if (stub.errorProbability > 0 && rng.next() < stub.errorProbability)
          throw new Error(`${tool.name}: simulated failure`);
        return stub.result;
      },
    });
  });
}
