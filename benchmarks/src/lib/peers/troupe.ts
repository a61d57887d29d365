/**
 * Troupe: `defineTool` (zod input), `defineAgent`, `createTeam` with inline placement and the
 * in-memory shared state, limiter and bus, and `scriptedModel` answering from a function of
 * the request with zero latency. A run is `team.send(agent, input)`.
 *
 * Fairness notes:
 * - An agent keeps its history across runs (a session), so one long-lived agent would carry an
 *   ever-growing history through a timing loop of ~10^5 runs. The agent is therefore replaced
 *   every {@link ROTATE_EVERY} runs (stop + spawn, their cost included in the timing); the
 *   peers start each run from a fresh conversation.
 * - `record: false`: the scripted model's request recording (a copy of the messages per call)
 *   is a test aid, not orchestration.
 * - The limiter has no rules (the peers limit nothing), but every model call still takes and
 *   settles a lease through it.
 * - A team agent runs one message at a time (a new message interrupts), so runs in flight at
 *   once are one per agent: {@link Contestant.lanes} spawns one agent per lane.
 */
import {
  type AgentDefinition,
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type Model,
  type ModelRequest,
  systemClock,
  type Team,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import {
  addInput,
  type Contestant,
  decide,
  type Lanes,
  SYSTEM_PROMPT,
  Tally,
  TOOL_CALLS_PER_RUN,
  TOOL_DESCRIPTION,
  TOOL_NAME,
  USER_INPUT,
} from './common.js';

/** Runs per agent before it is replaced (bounds the session history the timing loop builds). */
export const ROTATE_EVERY = 256;

export interface TroupeOptions {
  /** Runs per agent before a fresh one replaces it. Default {@link ROTATE_EVERY}; 1 = an agent per run. */
  readonly rotateEvery?: number;
  /** Attach a no-op listener to every team event (events are built only while someone listens). */
  readonly listen?: boolean;
}

/** Tool results since the last user message: the turn within the current run. */
function toolResultsInRun(messages: ModelRequest['messages']): number {
  let n = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const role = messages[i]?.role;
    if (role === 'user') break;
    if (role === 'tool') n++;
  }
  return n;
}

export function createTroupe(options: TroupeOptions = {}): Contestant {
  const rotateEvery = options.rotateEvery ?? ROTATE_EVERY;
  const tally = new Tally();
  const clock = systemClock;
  const team: Team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    placement: 'inline',
  });
  if (options.listen === true) team.on('*', () => {});
  const add = defineTool({
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    input: addInput,
    run: ({ a, b }) => {
      tally.toolCalls++;
      return String(a + b);
    },
  });
  const model = scriptedModel({
    record: false,
    // `call.turn` counts the assistant messages of this run: one tool call each so far.
    steps: (_request, call) => {
      tally.modelCalls++;
      const decision = decide(Math.min(call.turn, TOOL_CALLS_PER_RUN));
      return decision.kind === 'tool'
        ? { toolCalls: [{ id: decision.callId, name: TOOL_NAME, arguments: decision.args }] }
        : { text: decision.text };
    },
  });
  const agent = defineAgent({ name: 'adder', instructions: SYSTEM_PROMPT, model, tools: [add] });
  // The same scripted model behind a gate: runs park at the third model call (heap measurement).
  const gated: Model = {
    id: model.id,
    ...(model.toolFormat === undefined ? {} : { toolFormat: model.toolFormat }),
    estimateTokens: (request) => model.estimateTokens?.(request) ?? 0,
    async generate(request) {
      const parked = tally.park(toolResultsInRun(request.messages));
      if (parked) await parked;
      return model.generate(request);
    },
  };
  const gatedAgent: AgentDefinition = defineAgent({
    name: 'adder',
    instructions: SYSTEM_PROMPT,
    model: gated,
    tools: [add],
  });

  let spawned = 0;
  let current = '';
  let runsOnCurrent = rotateEvery;

  async function rotate(): Promise<void> {
    if (current !== '') await team.stop(current);
    current = `adder-${spawned++}`;
    await team.spawn(agent, { name: current });
    runsOnCurrent = 0;
  }

  return {
    name:
      rotateEvery === 1
        ? 'troupe (fresh agent per run)'
        : options.listen === true
          ? 'troupe (event listener attached)'
          : 'troupe',
    tally,
    async run() {
      if (runsOnCurrent++ >= rotateEvery) await rotate();
      const result = await team.send(current, USER_INPUT);
      if (result.status !== 'completed')
        throw new Error(`troupe run ended ${result.status}: ${result.error?.message ?? ''}`);
      return result.text;
    },
    async lanes(count): Promise<Lanes> {
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `lane-${spawned++}`;
        await team.spawn(gatedAgent, { name });
        names.push(name);
      }
      return {
        async run(lane) {
          const result = await team.send(names[lane] as string, USER_INPUT);
          return result.text;
        },
        async close() {
          for (const name of names) await team.stop(name);
        },
      };
    },
    async close() {
      await team.close();
    },
  };
}
