import type { ModelRequest, Rng, ToolCall } from '@troupe/core';
import { argsFromSchema } from './json-args.js';
import type { Policy } from './policy-model.js';
import type { ScriptStep } from './team-scenario.js';

/** What a policy model answers a turn with (its usage is added by the model). */
export interface Decision {
  readonly text: string;
  readonly toolCalls: ToolCall[];
  readonly stopReason: string;
}

/** A final answer: text, no tool calls. */
export const answerWith = (text: string): Decision => ({ text, toolCalls: [], stopReason: 'end' });
const callTools = (calls: ToolCall[]): Decision => ({
  text: '',
  toolCalls: calls,
  stopReason: 'tool_calls',
});

/**
 * Turns of the current run so far: assistant messages since the last user message (a summary
 * that compaction put in the view is not one: the run goes on past it).
 */
function turnInRun(request: ModelRequest): number {
  let n = 0;
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role === 'user') {
      if (message.summarizes === undefined) break;
    } else if (message.role === 'assistant') n++;
  }
  return n;
}

/** What {@link PolicyDecider} needs of its policy model's options. */
export interface DeciderOptions {
  readonly agent: string;
  readonly policy: Policy;
  readonly others: readonly string[];
  readonly ownTools: readonly string[];
  readonly rng: Rng;
  readonly calls: { count: number };
}

/**
 * The turns of one agent's policy: its script's steps in order, or the stochastic policy (when
 * to answer, when to message another agent, which of its tools to call, with arguments from the
 * tools' JSON Schemas). Draws from the agent's seeded rng.
 */
export class PolicyDecider {
  #step = 0;
  #answerAt = 0;

  constructor(private readonly o: DeciderOptions) {}

  decide(request: ModelRequest): Decision {
    const { script } = this.o.policy;
    return script ? this.#scripted(request, script) : this.#stochastic(request);
  }

  #call(name: string, args: unknown): ToolCall {
    return { id: `${this.o.agent}-${this.o.calls.count}-0`, name, arguments: args };
  }

  #scripted(request: ModelRequest, script: readonly ScriptStep[]): Decision {
    const next = script[this.#step];
    if (next === undefined) return answerWith('Done.');
    this.#step++;
    if ('answer' in next) return answerWith(next.answer);
    if ('message' in next)
      return callTools([this.#call('post_message', { to: next.to, body: next.message })]);
    const spec = request.tools.find((t) => t.name === next.tool);
    return callTools([
      this.#call(next.tool, next.args ?? (spec ? argsFromSchema(spec.parameters, this.o.rng) : {})),
    ]);
  }

  #stochastic(request: ModelRequest): Decision {
    const { agent, policy, others, ownTools, rng } = this.o;
    const turn = turnInRun(request);
    if (turn === 0)
      this.#answerAt = rng.int(
        Math.round(policy.answerAfterTurns[0]),
        Math.round(policy.answerAfterTurns[1]),
      );
    if (turn + 1 >= this.#answerAt) return answerWith(`${agent}: done after ${turn + 1} turns.`);
    const available = new Set(request.tools.map((t) => t.name));
    if (
      others.length > 0 &&
      available.has('post_message') &&
      rng.next() < policy.messageProbability
    ) {
      const to = others[rng.int(0, others.length - 1)]!;
      return callTools([
        this.#call('post_message', { to, body: `${agent} to ${to}: progress at turn ${turn + 1}` }),
      ]);
    }
    const weights = Object.entries(
      policy.tools ?? Object.fromEntries(ownTools.map((t) => [t, 1])),
    ).filter(([name, w]) => w > 0 && available.has(name));
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) return answerWith(`${agent}: nothing to call.`);
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
    return callTools([this.#call(name, argsFromSchema(spec.parameters, rng))]);
  }
}
