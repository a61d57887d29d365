import { z } from 'zod';
import { mailFromMessage } from '../agent/mail.js';
import type { RunResult } from '../agent/run-result.js';
import type {
  BusBackend,
  ClaimRequest,
  ClaimResult,
  MaybePromise,
  SharedStateBackend,
} from '../backends.js';
import { TroupeError } from '../errors.js';
import { type AgentState, type EventSink, sinkWants } from '../events/team-events.js';
import { type AnyTool, defineTool, type ToolContext, toolResult } from '../tools/define-tool.js';

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
 * Names of the tools every agent gets.
 *
 * @example
 * ```ts
 * const readOnly: Role = { name: 'reader', allowTools: TEAM_TOOL_NAMES.filter((n) => n.startsWith('list')) };
 * ```
 */
export const TEAM_TOOL_NAMES = [
  'claim_region',
  'release_region',
  'share_discovery',
  'list_discoveries',
  'post_message',
  'wait_messages',
  'list_team',
  'ask_agent',
  'handoff',
] as const;

/** Default `timeoutMs` of `ask_agent`: 10 minutes. */
export const DEFAULT_ASK_TIMEOUT_MS = 600_000;
/** Longest `ask_agent` wait: 1 hour. */
export const MAX_ASK_TIMEOUT_MS = 3_600_000;

/**
 * The bus topic of an agent's inbox (`post_message({ to })` posts there).
 *
 * @example
 * ```ts
 * await bus.post(inboxTopic('ada'), { from: 'lead', body: 'please review' });
 * ```
 */
export const inboxTopic = (agent: string): string => `inbox:${agent}`;
/**
 * The topic `post_message` uses without `to` or `topic`.
 *
 * @example
 * ```ts
 * const broadcasts = await bus.read(TEAM_TOPIC);
 * ```
 */
export const TEAM_TOPIC = 'team';
const cursorKey = (topic: string): string => `cursor:${topic}`;

/**
 * `fn(value)`, at once when the backend answered synchronously (the in-memory services may):
 * the tool then returns a plain value and its call finishes without a promise, a microtask hop
 * or a timeout timer (tools/run-tools.ts).
 */
function then<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

// Input schemas are made once per module, not per team: the schema cache (tools/schema-cache.ts)
// keys JSON Schema conversions by schema, so every team's tools hit it.
const claimInput = z.object({
  resource: z.string().min(1),
  start: z.number().int().min(0).optional(),
  end: z.number().int().min(0).optional(),
  ttlMs: z.number().positive().optional(),
});
const releaseInput = z.object({ resource: z.string().min(1) });
const shareInput = z.object({ topic: z.string().min(1), content: z.string() });
const listDiscoveriesInput = z.object({
  topic: z.string().optional(),
  afterSeq: z.number().int().min(0).optional(),
  limit: z.number().int().positive().max(1000).optional(),
});
const postInput = z.object({
  to: z.string().min(1).optional(),
  topic: z.string().min(1).optional(),
  body: z.string().min(1),
});
const waitInput = z.object({
  topic: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(0).max(25_000).optional(),
});
const listTeamInput = z.object({});
const askInput = z.object({
  agent: z.string().min(1),
  task: z.string().min(1),
  timeoutMs: z.number().int().positive().max(MAX_ASK_TIMEOUT_MS).optional(),
});
const handoffInput = z.object({ agent: z.string().min(1), message: z.string().min(1) });

/** A tool error the model sees, with its code first. */
function toolError(code: TroupeError['code'], message: string): TroupeError {
  return new TroupeError(code, `${code}: ${message}`);
}

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
  const { state, bus, events } = services;
  // A granted claim or a conflict: the event, then what the model sees.
  const claimed = (result: ClaimResult, resource: string, ctx: ToolContext) => {
    if (result.ok) {
      const { claim } = result;
      if (sinkWants(events, 'claim.granted')) {
        events.emit({
          type: 'claim.granted',
          at: ctx.clock.now(),
          agent: ctx.agent,
          resource,
          start: claim.start,
          end: claim.end,
          token: claim.token,
        });
      }
      return {
        ok: true,
        resource,
        start: claim.start,
        end: claim.end,
        token: claim.token,
        expiresAt: claim.expiresAt,
      };
    }
    const { conflict } = result;
    if (sinkWants(events, 'claim.conflicted')) {
      events.emit({
        type: 'claim.conflicted',
        at: ctx.clock.now(),
        agent: ctx.agent,
        resource,
        holder: conflict.agent,
        start: conflict.start,
        end: conflict.end,
      });
    }
    return {
      ok: false,
      resource,
      heldBy: conflict.agent,
      start: conflict.start,
      end: conflict.end,
    };
  };
  const claimRegion = defineTool({
    name: 'claim_region',
    description:
      'Claim a region [start, end] of a resource (a file, say) so no one else edits it. Without start/end, the whole resource.',
    input: claimInput,
    run({ resource, start, end, ttlMs }, ctx) {
      const request: { -readonly [K in keyof ClaimRequest]: ClaimRequest[K] } = {
        agent: ctx.agent,
        resource,
      };
      if (start !== undefined) request.start = start;
      if (end !== undefined) request.end = end;
      if (ttlMs !== undefined) request.ttlMs = ttlMs;
      return then(state.claim(request), (result) => claimed(result, resource, ctx));
    },
  });
  const releaseRegion = defineTool({
    name: 'release_region',
    description: 'Release your claim on a resource.',
    input: releaseInput,
    run: ({ resource }, ctx) =>
      then(state.release(ctx.agent, resource), (released) => {
        if (sinkWants(events, 'claim.released'))
          events.emit({
            type: 'claim.released',
            at: ctx.clock.now(),
            agent: ctx.agent,
            resource,
            released,
          });
        return { released };
      }),
  });
  const shareDiscovery = defineTool({
    name: 'share_discovery',
    description: 'Share a finding with the team under a topic.',
    input: shareInput,
    run: ({ topic, content }, ctx) =>
      then(state.discover({ agent: ctx.agent, topic, content }), (discovery) => {
        if (sinkWants(events, 'discovery.shared'))
          events.emit({
            type: 'discovery.shared',
            at: ctx.clock.now(),
            agent: ctx.agent,
            topic,
            seq: discovery.seq,
          });
        return { seq: discovery.seq };
      }),
  });
  const listDiscoveries = defineTool({
    name: 'list_discoveries',
    description:
      "List the team's discoveries, oldest first, optionally by topic or after a sequence number.",
    input: listDiscoveriesInput,
    run({ topic, afterSeq, limit }) {
      const query = {
        ...(topic === undefined ? {} : { topic }),
        ...(afterSeq === undefined ? {} : { afterSeq }),
        limit: limit ?? 100,
      };
      return then(state.discoveries(query), (found) =>
        found.map((d) => ({ seq: d.seq, agent: d.agent, topic: d.topic, content: d.content })),
      );
    },
  });
  const postMessage = defineTool({
    name: 'post_message',
    description: 'Post a message to a teammate (to), to a topic, or to the whole team (neither).',
    input: postInput,
    run({ to, topic, body }, ctx) {
      if (to !== undefined && topic !== undefined)
        throw toolError('ERR_INVALID_ARGUMENT', 'give either to or topic, not both');
      if (to === undefined) return post(topic ?? TEAM_TOPIC, undefined, body, ctx);
      return then(services.exists(to), (found) => {
        if (!found) throw toolError('ERR_NOT_FOUND', `no agent named "${to}" in the team`);
        return post(inboxTopic(to), to, body, ctx);
      });
    },
  });
  const post = (target: string, to: string | undefined, body: string, ctx: ToolContext) =>
    then(bus.post(target, { from: ctx.agent, body }), ({ seq }) => {
      if (sinkWants(events, 'message.posted')) {
        events.emit({
          type: 'message.posted',
          at: ctx.clock.now(),
          agent: ctx.agent,
          topic: target,
          seq,
          ...(to === undefined ? {} : { to }),
        });
      }
      return { topic: target, seq };
    });
  const waitMessages = defineTool({
    name: 'wait_messages',
    description: 'Wait for new messages in your inbox (or a topic). Returns [] after timeoutMs.',
    input: waitInput,
    async run({ topic, timeoutMs }, ctx) {
      const target = topic ?? inboxTopic(ctx.agent);
      const key = cursorKey(target);
      const cursor = ctx.context[key];
      let afterSeq = typeof cursor === 'number' ? cursor : 0;
      // Its own mailbox: after what its runs took too (the mailbox delivers the rest as runs).
      if (target === inboxTopic(ctx.agent))
        afterSeq = Math.max(afterSeq, services.handled(ctx.agent));
      const messages = await bus.wait(target, {
        afterSeq,
        timeoutMs: timeoutMs ?? 10_000,
        signal: ctx.signal,
      });
      const list = messages.map((m) => ({
        seq: m.seq,
        from: m.from,
        body: typeof m.body === 'string' ? m.body : mailFromMessage(m).text,
      }));
      const last = messages[messages.length - 1];
      return last === undefined ? list : toolResult(list, [{ op: 'set', key, value: last.seq }]);
    },
  });
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
      return then(services.exists(agent), (found) => {
        if (!found) throw toolError('ERR_NOT_FOUND', `no agent named "${agent}" in the team`);
        return then(services.handOff(ctx.agent, agent, message), (marked) => {
          if (!marked) throw toolError('ERR_CLOSED', 'your run has already ended');
          return { handedOffTo: agent };
        });
      });
    },
  });
  return Object.freeze([
    claimRegion,
    releaseRegion,
    shareDiscovery,
    listDiscoveries,
    postMessage,
    waitMessages,
    listTeam,
    askAgent,
    handoff,
  ]);
}
