import type { RunResult } from '../agent/run-result.js';
import type { BusBackend, MaybePromise, SharedStateBackend } from '../backend/interfaces.js';
import type { AgentState, EventSink } from '../events/team-events.js';
import type { AnyTool } from '../tools/define-tool.js';
import { teamToolList } from '../tools/tool-set.js';
import { delegationTools } from './delegation-tools.js';
import { messageTools } from './message-tools.js';
import { stateTools } from './state-tools.js';

/**
 * One line of `list_team`.
 *
 * @example
 * ```ts
 * const member: TeamMember = { name: 'ada', role: 'reviewer', state: 'idle' };
 * ```
 */
export interface TeamMember {
  readonly name: string;
  readonly role: string | undefined;
  readonly state: AgentState;
}

/**
 * A question from one agent to another (`ask_agent`).
 *
 * @example
 * ```ts
 * const request: AskRequest = { from: 'planner', to: 'coder', task: 'Estimate a.ts', timeoutMs: 60_000 };
 * ```
 */
export interface AskRequest {
  readonly from: string;
  readonly to: string;
  readonly task: string;
  readonly timeoutMs: number;
}

/** What team tools reach: the team's services, wherever the agent runs. */
export interface TeamToolServices {
  readonly state: SharedStateBackend;
  readonly bus: BusBackend;
  readonly events: EventSink;
  roster(): Promise<TeamMember[]>;
  /** Whether the team has an agent of this name. */
  exists(name: string): MaybePromise<boolean>;
  /**
   * Gives `task` to another agent and resolves with the run that answered it; rejects with
   * `ERR_DEADLOCK` (a cycle of waits), `ERR_NOT_FOUND`, `ERR_TIMEOUT` or `ERR_ABORTED`.
   */
  ask(request: AskRequest, signal?: AbortSignal): Promise<RunResult>;
  /** Marks `from`'s run in progress as handing its task to `to`; false when it has none. */
  handOff(from: string, to: string, message: string): MaybePromise<boolean>;
  /** The last seq of its own mailbox the agent has handled (where `wait_messages` goes on). */
  handled(agent: string): number;
}

/**
 * The team tools over `services`: claims and discoveries on the shared state, messages on the
 * bus, the roster. A conflict or an empty wait is a normal result, not an error. `wait_messages`
 * keeps its read position per topic in the agent's context (`cursor:<topic>`), so an agent
 * never reads a message twice and never misses one posted between two waits.
 *
 * @example
 * ```ts
 * const tools = createTeamTools({ state, bus, events, roster: async () => [] });
 * ```
 */
export function createTeamTools(services: TeamToolServices): readonly AnyTool[] {
  // claim_region, release_region, share_discovery, list_discoveries, post_message,
  // wait_messages, list_team, ask_agent, handoff.
  return teamToolList([
    ...stateTools(services),
    ...messageTools(services),
    ...delegationTools(services),
  ]);
}
