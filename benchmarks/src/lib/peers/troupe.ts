/**
 * Troupe: `defineTool` (zod input), `defineAgent`, `createTeam` with inline placement and the
 * in-memory shared state, limiter and bus. A run is `team.send(agent, input)`.
 *
 * Fairness notes:
 * - The model is a plain `Model` whose `generate` awaits the shared async {@link answer}, and the
 *   tool's `run` is the shared async {@link addTool}: the same model and tool every peer gets,
 *   not the synchronous scripted model of the tests.
 * - An agent keeps its history across runs (a session), so one long-lived agent would carry an
 *   ever-growing history through a timing loop of ~10^5 runs. The agent is therefore replaced
 *   every {@link ROTATE_EVERY} runs (stop + spawn, their cost included in the timing); the
 *   peers start each run from a fresh conversation.
 * - The limiter has no rules (the peers limit nothing), but every model call still takes and
 *   settles a lease through it.
 * - A team agent runs one message at a time, so runs in flight at once are one per agent:
 *   {@link Contestant.lanes} spawns one agent per lane, and the heap per in-flight run counts it.
 */
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type Model,
  type ModelRequest,
  type ModelResponse,
  systemClock,
  type Team,
  type TeamOptions,
} from '@troupe/core';
import {
  addInput,
  addTool,
  answer,
  type Contestant,
  type Lanes,
  SYSTEM_PROMPT,
  Tally,
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
  /** The team's `tracing` option (default: omitted, so on only if a global provider is registered). */
  readonly tracing?: TeamOptions['tracing'];
  /** The contestant's name (default: from the options above). */
  readonly name?: string;
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

const USAGE = { inputTokens: 10, outputTokens: 5 } as const;

/** The shared async model as a Troupe `Model`. */
function instantModel(tally: Tally): Model {
  return {
    id: 'instant',
    async generate(request): Promise<ModelResponse> {
      const decision = await answer(tally, toolResultsInRun(request.messages));
      return decision.kind === 'tool'
        ? {
            text: '',
            toolCalls: [{ id: decision.callId, name: TOOL_NAME, arguments: decision.args }],
            usage: USAGE,
            stopReason: 'tool_calls',
          }
        : { text: decision.text, toolCalls: [], usage: USAGE, stopReason: 'end' };
    },
  };
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
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
  });
  if (options.listen === true) team.on('*', () => {});
  const add = defineTool({
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    input: addInput,
    run: (input) => addTool(tally, input),
  });
  const agent = defineAgent({
    name: 'adder',
    instructions: SYSTEM_PROMPT,
    model: instantModel(tally),
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
      options.name ??
      (rotateEvery === 1
        ? 'troupe (fresh agent per run)'
        : options.listen === true
          ? 'troupe (event listener attached)'
          : 'troupe'),
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
        await team.spawn(agent, { name });
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
