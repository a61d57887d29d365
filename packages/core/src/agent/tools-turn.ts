import { sinkWants } from '../events/team-events.js';
import { runToolCalls, type ToolMessage, type ToolTurnEnv } from '../tools/run-tools.js';
import type { AgentRuntime } from './agent-runtime.js';
import { type Run, toolObserver } from './run.js';

type MutableToolEnv = { -readonly [K in keyof ToolTurnEnv]: ToolTurnEnv[K] };

/**
 * The tools side of a turn: runs the answer's calls (results in call order, context updates
 * applied in call order) and reports `TOOLS_DONE` (with whether a tool handed the task off).
 */
export class ToolsTurn {
  readonly #agent: AgentRuntime;
  // Made on the first tool turn: an idle agent carries none (spawn cost, heap).
  #env: MutableToolEnv | undefined;

  constructor(agent: AgentRuntime) {
    this.#agent = agent;
  }

  run(run: Run): void {
    const agent = this.#agent;
    const env = this.#toolEnv();
    const events = agent.env.events;
    env.observer =
      sinkWants(events, 'tool.called') || sinkWants(events, 'tool.returned')
        ? toolObserver(events, agent.env.clock, agent.name, run.id)
        : undefined;
    let turn: ReturnType<typeof runToolCalls>;
    try {
      // Calls a person rejected get the reason as their result; approved ones run.
      turn = runToolCalls(run.calls, agent.tools, env, agent.approvals.take(run));
    } catch (error) {
      agent.failed(run, error);
      return;
    }
    run.toolTurn = turn;
    // Plain (synchronous) tools finish inside runToolCalls: no need to wait a microtask.
    if (turn.results !== undefined) this.#done(run, turn.results);
    else
      turn.done.then(
        (results) => this.#done(run, results),
        (error: unknown) => agent.failed(run, error),
      );
  }

  #done(run: Run, results: readonly ToolMessage[] | undefined): void {
    run.toolTurn = undefined;
    if (results === undefined || run.stale) return;
    const agent = this.#agent;
    for (let i = 0; i < results.length; i++) agent.history.push(results[i]!);
    agent.afterTurn();
    agent.send({ type: 'TOOLS_DONE', handedOff: run.handoff !== undefined });
  }

  #toolEnv(): MutableToolEnv {
    if (this.#env !== undefined) return this.#env;
    const agent = this.#agent;
    this.#env = {
      agent: agent.name,
      clock: agent.env.clock,
      context: () => agent.context,
      update: (updates) => agent.update(updates),
      observer: undefined,
    };
    return this.#env;
  }
}
