// The team tools between agents: the roster, asking another agent, and handing a task off.
import { z } from 'zod';
import type { RunResult } from '../agent/run-result.js';
import type { TroupeError } from '../errors.js';
import { type AnyTool, defineTool } from '../tools/define-tool.js';
import type { TeamToolServices } from './team-tools.js';
import { andThen, toolError } from './tool-outcome.js';

/** Default `timeoutMs` of `ask_agent`: 10 minutes. */
const DEFAULT_ASK_TIMEOUT_MS = 600_000;
/** Longest `ask_agent` wait: 1 hour. */
const MAX_ASK_TIMEOUT_MS = 3_600_000;

// Input schemas are made once per module, not per team: the schema cache (tools/schema-cache.ts)
// keys JSON Schema conversions by schema, so every team's tools hit it.
const listTeamInput = z.object({});
const askInput = z.object({
  agent: z.string().min(1),
  task: z.string().min(1),
  timeoutMs: z.number().int().positive().max(MAX_ASK_TIMEOUT_MS).optional(),
});
const handoffInput = z.object({ agent: z.string().min(1), message: z.string().min(1) });

/** What `ask_agent` returns for another agent's run: its answer, or a tool error. */
function answerOf(
  agent: string,
  result: RunResult,
): { agent: string; answer: string; output?: unknown } {
  if (result.status === 'completed') {
    return result.output === undefined
      ? { agent, answer: result.text }
      : { agent, answer: result.text, output: result.output };
  }
  const why = result.error === undefined ? '' : ` (${result.error.code}: ${result.error.message})`;
  throw toolError(
    (result.error?.code as TroupeError['code'] | undefined) ?? 'ERR_CLOSED',
    `${agent} did not answer: its run ended ${result.status}${why}`,
  );
}

/** `list_team`, `ask_agent` and `handoff`. */
export function delegationTools(services: TeamToolServices): AnyTool[] {
  const listTeam = defineTool({
    name: 'list_team',
    description: 'List your teammates: name, role and state.',
    input: listTeamInput,
    run: () => services.roster(),
  });
  const askAgent = defineTool({
    name: 'ask_agent',
    description:
      "Give a task to another agent and wait for its final answer, which is this tool's result. " +
      'A cycle of agents asking each other is refused (ERR_DEADLOCK).',
    input: askInput,
    // The ask carries its own bound (timeoutMs); the tool's is the longest an ask may take.
    timeoutMs: MAX_ASK_TIMEOUT_MS + 1_000,
    async run({ agent, task, timeoutMs }, ctx) {
      if (agent === ctx.agent) throw toolError('ERR_INVALID_ARGUMENT', 'you cannot ask yourself');
      const result = await services.ask(
        { from: ctx.agent, to: agent, task, timeoutMs: timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS },
        ctx.signal,
      );
      return answerOf(agent, result);
    },
  });
  const handoff = defineTool({
    name: 'handoff',
    description:
      'Pass your task on to another agent: your run ends after this turn, and that agent answers ' +
      'whoever gave you the task.',
    input: handoffInput,
    run({ agent, message }, ctx) {
      if (agent === ctx.agent)
        throw toolError('ERR_INVALID_ARGUMENT', 'you cannot hand off to yourself');
      return andThen(services.exists(agent), (found) => {
        if (!found) throw toolError('ERR_NOT_FOUND', `no agent named "${agent}" in the team`);
        return andThen(services.handOff(ctx.agent, agent, message), (marked) => {
          if (!marked) throw toolError('ERR_CLOSED', 'your run has already ended');
          return { handedOffTo: agent };
        });
      });
    },
  });
  return [listTeam, askAgent, handoff];
}
